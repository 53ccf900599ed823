-- wrk script for exact counting: each thread (one connection each: run with -c equal to -t)
-- sends a fixed mix of paths and stops itself after `limit` responses, so no request is in
-- flight when wrk ends. done() prints "wrk <total> <status>=<n> ..." for the test to compare.
local threads = {}
local paths = {
  {"GET", "/health"}, {"GET", "/pets"}, {"GET", "/pets/7"}, {"GET", "/pets/5000"},
  {"GET", "/users/3/orders"}, {"GET", "/no/such/route"}, {"DELETE", "/pets"},
}
local statuses = {200, 201, 400, 404, 405, 413, 500, 503, 504}

function setup(thread) table.insert(threads, thread) end

function init(args)
  limit = tonumber(args[1]); n = 0; i = 0
  for _, s in ipairs(statuses) do _G["s" .. s] = 0 end
end

function request()
  i = i % #paths + 1
  return wrk.format(paths[i][1], paths[i][2])
end

function response(status, headers, body)
  n = n + 1
  _G["s" .. status] = (_G["s" .. status] or 0) + 1
  if n >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local total, parts = 0, {}
  for _, t in ipairs(threads) do total = total + t:get("n") end
  for _, s in ipairs(statuses) do
    local c = 0
    for _, t in ipairs(threads) do c = c + (t:get("s" .. s) or 0) end
    if c > 0 then table.insert(parts, s .. "=" .. c) end
  end
  io.write("wrk " .. total .. " " .. table.concat(parts, " ") .. "\n")
end
