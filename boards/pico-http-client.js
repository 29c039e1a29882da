/*
 * An HTTP client on an Espruino Pico + ENC28J60 with Espruino's own require("http"): every 10 s it
 * fetches http://192.0.2.1:8080/file (micronet-tcp through NetworkJS, micronet-networkjs-tcp) and
 * prints "got <status> <octets> <check>", where check is a CRC-32 (IEEE) of each 1024-octet block of the
 * body chained as h = (h * 31 + crc) mod 2^32 from h = 0, in hexadecimal (as boards/pico-web-server.js
 * checks an upload): the body is never held whole, so a file far larger than the Pico's memory arrives.
 * Static address 192.0.2.6/24.
 *
 * Build and upload (web-board profile):  npm run upload -- --port /dev/ttyACM0 --profile web-board boards/pico-http-client.js
 * On a PC at 192.0.2.1:  python3 -m http.server 8080   in a folder holding a file named "file".
 *
 * Wiring: as boards/pico-web-server.js (SPI1 on B3/B4/B5, CS B1, INT A8, RESET B10).
 *
 *   | ENC28J60 module | SCK | SO (MISO) | SI (MOSI) | CS | INT | RESET | VCC | GND |
 *   | Espruino Pico   | B3  | B4        | B5        | B1 | A8  | B10   | 3.3 | GND |
 *
 * Bench board (npm run board -- [--engine espruino-pico] [--tap] boards/pico-http-client.js):
 * bench: SPI1 chip=enc28j60 cs=B1 int=A8 reset=B10 sck=B3 miso=B4 mosi=B5
 * bench: profile=web-board
 */
var micronet = require("micronet");

// 8 MHz or more: below 8 MHz the ENC28J60 may misread its MAC/MII registers (errata DS80349C item 1).
SPI1.setup({ sck: B3, miso: B4, mosi: B5, baud: 8000000, mode: 0 });
var eth = require("micronet-enc28j60").connect(SPI1, B1, { mac: "02:4d:4e:00:00:06", int: A8, reset: B10, baud: 8000000 });
var stack = micronet.createStack();
stack.addInterface(eth, { address: "192.0.2.6", netmask: "255.255.255.0", gateway: "192.0.2.1", name: "eth0" });
micronet.run(stack, { pins: [A8] });

var tcp = require("micronet-tcp").create(stack, { sndBuf: 1024, rcvBuf: 1024, maxConnections: 4, timeWaitMax: 1 });
require("micronet-networkjs-tcp").register(tcp, { sockets: 2 });

var URL = "http://192.0.2.1:8080/file";

function fetch() {
  var n = 0, h = 0, part = "";
  require("http").get(URL, function (res) {
    res.on("data", function (d) {
      n += d.length;
      part += d;
      while (part.length >= 1024) {
        h = (h * 31 + (E.CRC32(part.substr(0, 1024)) >>> 0)) % 4294967296;
        part = part.substr(1024);
      }
    });
    res.on("close", function () {
      if (part.length) h = (h * 31 + (E.CRC32(part) >>> 0)) % 4294967296;
      console.log("got " + res.statusCode + " " + n + " " + h.toString(16) + " free " + process.memory().free);
    });
  }).on("error", function (e) { console.log("error " + e.code + " " + e.message); });
}
setInterval(fetch, 30000);
setTimeout(fetch, 500);
console.log("fetching " + URL + " every 30 s (MAC " + micronet.formatMac(eth.mac) + ")");
