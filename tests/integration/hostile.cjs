// Hostile HTTP clients for the exporter test, bounded in count and time, 127.0.0.1 only.
//   node hostile.cjs idle PORT N SECONDS     N connections that send half a request and wait
//   node hostile.cjs trickle PORT SECONDS    one request sent a byte every 100 ms
// Prints how many connections were open at the peak, then exits when SECONDS are up.
const net = require("net");
const [mode, port, a, b] = process.argv.slice(2);
const host = "127.0.0.1";
if (mode === "idle") {
  const n = Number(a), secs = Number(b);
  let open = 0, peak = 0;
  const socks = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(Number(port), host, () => {
      open++; peak = Math.max(peak, open);
      s.write("GET /metrics HTTP/1.1\r\nHost: x\r\n"); // never finished
    });
    s.on("error", () => {});
    s.on("close", () => { open--; });
    socks.push(s);
  }
  setTimeout(() => { console.log(`peak ${peak}`); socks.forEach((s) => s.destroy()); process.exit(0); }, secs * 1000);
} else if (mode === "trickle") {
  const secs = Number(a);
  const req = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + "y".repeat(1000) + "\r\n\r\n";
  let i = 0;
  const s = net.connect(Number(port), host);
  s.on("error", () => {});
  const t = setInterval(() => { if (i < req.length) s.write(req[i++]); }, 100);
  setTimeout(() => { clearInterval(t); console.log(`sent ${i}`); s.destroy(); process.exit(0); }, secs * 1000);
} else {
  console.error("usage: hostile.cjs idle PORT N SECONDS | trickle PORT SECONDS");
  process.exit(2);
}
