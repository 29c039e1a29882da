/*
 * A web server on an Espruino Pico + ENC28J60 with Espruino's own require("http"): micronet-tcp is the
 * board's TCP through NetworkJS (micronet-networkjs-tcp), so the code is what Espruino's documentation
 * shows for its built-in WIZnet support. Static address 192.0.2.5/24.
 *
 *   GET /            a page with the stack's counters (stack.stats()) and the TCP counters
 *   GET /stats.json  the same as JSON
 *   POST /upload     reads the body and answers "<octets> <check>": check is a CRC-32 (IEEE) of each
 *                    1024-octet block of the body (the last one may be shorter), chained as
 *                    h = (h * 31 + crc) mod 2^32 from h = 0, in hexadecimal; so a PC can check the upload
 *   anything else    404
 *
 * Build and upload (the web-board profile: no IGMP, routes or WIZnet-style extras, short error texts;
 * modules into Storage, then this script):
 *   npm run upload -- --port /dev/ttyACM0 --profile web-board boards/pico-web-server.js
 *
 * Wiring: as boards/pico-enc28j60.js (SPI1 on B3/B4/B5, CS B1, INT A8, RESET B10; its table holds the
 * module's pins and the power note).
 *
 *   | ENC28J60 module | SCK | SO (MISO) | SI (MOSI) | CS | INT | RESET | VCC | GND |
 *   | Espruino Pico   | B3  | B4        | B5        | B1 | A8  | B10   | 3.3 | GND |
 *
 * Try it from a PC on 192.0.2.0/24:  curl http://192.0.2.5/   and
 *   head -c 100000 /dev/urandom > f; curl --data-binary @f http://192.0.2.5/upload
 *
 * Sockets: one for the listener and four connections (`sockets: 5`); a fifth client at once is reset
 * and the others go on being served. Espruino's server answers "Connection: close": one request per
 * connection.
 *
 * Bench board (npm run board -- [--engine espruino-pico] [--tap] boards/pico-web-server.js):
 * bench: SPI1 chip=enc28j60 cs=B1 int=A8 reset=B10 sck=B3 miso=B4 mosi=B5
 * bench: profile=web-board
 */
var micronet = require("micronet");

// 8 MHz or more: below 8 MHz the ENC28J60 may misread its MAC/MII registers (errata DS80349C item 1).
SPI1.setup({ sck: B3, miso: B4, mosi: B5, baud: 8000000, mode: 0 });
var eth = require("micronet-enc28j60").connect(SPI1, B1, { mac: "02:4d:4e:00:00:05", int: A8, reset: B10, baud: 8000000 });
var stack = micronet.createStack();
stack.addInterface(eth, { address: "192.0.2.5", netmask: "255.255.255.0", gateway: "192.0.2.1", name: "eth0" });
micronet.run(stack, { pins: [A8] });   // poll on INT's falling edges, with a slow interval for timers

// TCP with 1024 octets of buffer each way (a Pico's memory: 1460 each way runs out of blocks by the
// third request while the stats page is built), Espruino's net/http on top of it.
var tcp = require("micronet-tcp").create(stack, { sndBuf: 1024, rcvBuf: 1024, maxConnections: 6, timeWaitMax: 1 });
require("micronet-networkjs-tcp").register(tcp, { sockets: 5 });

/** The upload check: CRC-32 per 1024-octet block, chained (see the header). */
function Check() { this.n = 0; this.h = 0; this.part = ""; }
Check.prototype.add = function (d) {
  this.n += d.length;
  this.part += d;
  while (this.part.length >= 1024) {
    this.h = (this.h * 31 + (E.CRC32(this.part.substr(0, 1024)) >>> 0)) % 4294967296;
    this.part = this.part.substr(1024);
  }
};
Check.prototype.end = function () {
  if (this.part.length) this.h = (this.h * 31 + (E.CRC32(this.part) >>> 0)) % 4294967296;
  this.part = "";
  return this.n + " " + this.h.toString(16);
};

var served = 0;
require("http").createServer(function (req, res) {
  served++;
  if (req.method === "POST" && req.url === "/upload") {
    var check = new Check();
    req.on("data", function (d) { check.add(d); });
    req.on("end", function () { res.writeHead(200, { "Content-Type": "text/plain" }); res.end(check.end()); });
  } else if (req.url === "/" || req.url === "/stats.json") {
    // stack.stats() holds the TCP counters too; one object, one JSON text (a Pico has ~1,100 blocks
    // free here: the page is written in parts, so no second copy of the text is made)
    var json = req.url === "/stats.json";
    res.writeHead(200, { "Content-Type": json ? "application/json" : "text/html" });
    if (!json) res.write("<html><head><title>micronet</title></head><body><h1>micronet on an Espruino Pico</h1><pre>");
    res.write('{"served":' + served + ',"free":' + process.memory().free + ',"stack":');
    res.write(JSON.stringify(stack.stats()));
    res.end(json ? "}" : "}</pre></body></html>\n");
  } else {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found\n");
  }
}).listen(80);
console.log("http://192.0.2.5/ (MAC " + micronet.formatMac(eth.mac) + ")");
