// Misbehaving clients for test_demo_limits.sh (127.0.0.1 only; every mode ends by a timer):
//   node demo_clients.cjs flood PORT MB SECONDS  pipelines GET /pets up to MB megabytes and never
//        reads; stops writing when the server stops taking data for 2 s; holds the connection
//        for SECONDS in all. Prints "sent=<bytes the kernel took>".
//   node demo_clients.cjs stall PORT N           N pipelined GETs, reads nothing for 1 s, then
//        reads. Prints "responses=<n>" once N arrived (or the server closed, or 20 s passed).
//   node demo_clients.cjs hold PORT N SECONDS    opens N connections that send nothing, holds
//        them for SECONDS. Prints "open=<n>" once connected, "closed_by_server=<n>" at the end.
//   node demo_clients.cjs idle PORT [PARTIAL]    one silent connection (or one that sent part of
//        a request line). Prints "closed_after_ms=<ms>" when the server closes it, or
//        "still_open" after 10 s.
const net = require("net");
const [mode, portStr, a, b] = process.argv.slice(2);
const port = Number(portStr);
const REQ = "GET /pets HTTP/1.1\r\nHost: t\r\n\r\n";

function flood(mb, seconds) {
  const s = net.connect(port, "127.0.0.1");
  const chunk = Buffer.from(REQ.repeat(Math.ceil(65536 / REQ.length)));
  const limit = mb * 1024 * 1024;
  let sent = 0;
  let stuck = null;
  const report = () => console.log(`sent=${sent - s.writableLength}`);
  const writeMore = () => {
    clearTimeout(stuck);
    while (sent < limit) {
      sent += chunk.length;
      if (!s.write(chunk)) {
        stuck = setTimeout(() => s.removeListener("drain", writeMore), 2000);
        return;
      }
    }
  };
  s.on("connect", () => {
    s.pause(); // never read: the server's answers pile up
    s.on("drain", writeMore);
    writeMore();
  });
  s.on("error", () => {});
  setTimeout(() => { report(); s.destroy(); process.exit(0); }, seconds * 1000);
}

function stall(n) {
  const s = net.connect(port, "127.0.0.1");
  let got = 0;
  let tail = "";
  const done = () => { console.log(`responses=${got}`); process.exit(0); };
  s.on("connect", () => {
    s.pause();
    s.write(REQ.repeat(n));
    setTimeout(() => s.resume(), 1000);
  });
  s.on("data", (d) => {
    // The 8 characters kept are one short of "HTTP/1.1 ": a status line split across two
    // chunks is counted once, and none is counted twice.
    const text = tail + d.toString("latin1");
    got += (text.match(/HTTP\/1\.1 /g) || []).length;
    tail = text.slice(-8);
    if (got >= n) { s.destroy(); done(); }
  });
  s.on("close", done);
  s.on("error", () => {});
  setTimeout(done, 20000);
}

function hold(n, seconds) {
  let open = 0, closed = 0, settled = 0;
  const socks = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, "127.0.0.1");
    socks.push(s);
    s.on("connect", () => { open++; if (++settled === n) console.log(`open=${open}`); });
    s.on("error", () => { if (!s.connecting) return; if (++settled === n) console.log(`open=${open}`); });
    s.on("close", () => { closed++; });
    s.on("data", () => {});
  }
  setTimeout(() => {
    console.log(`closed_by_server=${closed}`);
    socks.forEach((s) => s.destroy());
    process.exit(0);
  }, seconds * 1000);
}

function idle(partial) {
  const s = net.connect(port, "127.0.0.1");
  let t0 = 0;
  s.on("connect", () => { t0 = Date.now(); if (partial) s.write("GET /pe"); });
  s.on("data", () => {});
  s.on("close", () => { console.log(`closed_after_ms=${Date.now() - t0}`); process.exit(0); });
  s.on("error", () => {});
  setTimeout(() => { console.log("still_open"); process.exit(0); }, 10000);
}

if (mode === "flood") flood(Number(a), Number(b));
else if (mode === "stall") stall(Number(a));
else if (mode === "hold") hold(Number(a), Number(b));
else if (mode === "idle") idle(a === "partial");
else { console.error(`unknown mode ${mode}`); process.exit(2); }
