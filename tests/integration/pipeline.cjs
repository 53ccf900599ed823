// Pipelining clients for test_demo.sh (127.0.0.1 only, bounded by a 60 s timer, generous for a loaded machine):
//   node pipeline.cjs halfclose PORT N PATH   N pipelined GETs, then shut down our sending side
//   node pipeline.cjs postfirst PORT N        a POST with a body, then N pipelined GETs, each
//                                             with a 4 KB header (the input buffer must grow
//                                             while the POST's handler sleeps)
// Prints "responses=<n> first=<status>" once the server closes or all answers arrived.
const net = require("net");
const [mode, port, nStr, path] = process.argv.slice(2);
const n = Number(nStr);
const s = net.connect(Number(port), "127.0.0.1");
let got = "";
let want = n;
const pad = mode === "postfirst" ? `X-Pad: ${"p".repeat(4000)}\r\n` : "";
const req = (p) => `GET ${p} HTTP/1.1\r\nHost: t\r\n${pad}\r\n`;
s.on("connect", () => {
  let out = "";
  if (mode === "postfirst") {
    const body = '{"name":"rex","species":"dog"}';
    out += `POST /pets HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    want = n + 1;
  }
  for (let i = 0; i < n; i++) out += req(path || "/health");
  s.write(out);
  if (mode === "halfclose") s.end();
});
const finish = (why) => {
  const statuses = got.match(/HTTP\/1\.1 \d{3}/g) || [];
  // a timeout says so (the expected output has no suffix): not to be mistaken for a server close
  console.log(`responses=${statuses.length} first=${statuses.length ? statuses[0].slice(9) : "none"}${why === "timeout" ? " (timed out)" : ""}`);
  process.exit(0);
};
s.on("data", (d) => {
  got += d.toString("latin1");
  if ((got.match(/HTTP\/1\.1 \d{3}/g) || []).length >= want && mode !== "halfclose") { s.destroy(); finish(); }
});
s.on("close", () => finish("close"));
s.on("error", () => {});
setTimeout(() => finish("timeout"), 60000);
