/*
 * Espruino's own require("dgram") over micronet: an Espruino Pico + ENC28J60 at 192.0.2.4/24 with a UDP
 * echo on port 7 written with the built-in dgram module. micronet-dgram registers micronet as the
 * board's network (require("NetworkJS").create(...)), so Espruino's socket code sends and receives
 * through micronet's UDP.
 *
 * Upload (modules into Storage, then this script):
 *   npm run upload -- --port /dev/ttyACM0 boards/espruino-dgram.js
 * which runs: espruino -p /dev/ttyACM0 --storage micronet:dist/micronet.min.js \
 *   --storage micronet-enc28j60:dist/micronet-enc28j60.min.js \
 *   --storage micronet-networkjs:dist/micronet-networkjs.min.js boards/espruino-dgram.js
 *
 * Wiring: as boards/pico-enc28j60.js (SPI1 on B3/B4/B5, CS B1, INT A8, RESET B10; its table holds the
 * module's pins and the power note).
 *
 *   | ENC28J60 module | SCK | SO (MISO) | SI (MOSI) | CS | INT | RESET | VCC | GND |
 *   | Espruino Pico   | B3  | B4        | B5        | B1 | A8  | B10   | 3.3 | GND |
 *
 * Built-in dgram differences from Node's (Espruino's socket server, docs/engines.md §4): messages are strings
 * (send strings; E.toString(u8) converts), send(msg, port, address) only, the createSocket callback is
 * the "connect" listener, a bound socket also gets "connect" and "drain" and its "end"/"close" come twice.
 * register() raises Espruino's receive chunk to 1480 octets (whole datagrams up to 1472), makes send
 * throw micronet's reason for a bad port or a payload over 1472 octets, and bind say why a port is taken.
 *
 * Test from a host on 192.0.2.0/24:  ping 192.0.2.4   and   echo hello | nc -u -w1 192.0.2.4 7
 *
 * Bench board wiring (npm run board -- boards/espruino-dgram.js [--tap]; see src/host/board.ts):
 * bench: SPI1 chip=enc28j60 cs=B1 int=A8 reset=B10 sck=B3 miso=B4 mosi=B5
 */
var micronet = require("micronet");
var enc28j60 = require("micronet-enc28j60");

// 8 MHz or more: below 8 MHz the ENC28J60 may misread its MAC/MII registers (errata DS80349C item 1).
SPI1.setup({ sck: B3, miso: B4, mosi: B5, baud: 8000000, mode: 0 });
var eth = enc28j60.connect(SPI1, B1, { mac: "02:4d:4e:00:00:04", int: A8, reset: B10, baud: 8000000 });
var stack = micronet.createStack();
stack.addInterface(eth, { address: "192.0.2.4", netmask: "255.255.255.0", name: "eth0" });
// Poll on INT's falling edges, with a slow interval for timers and missed edges.
micronet.run(stack, { pins: [A8] });

// micronet becomes the network behind Espruino's dgram.
require("micronet-networkjs").register(stack);

var dgram = require("dgram");
var sock = dgram.createSocket("udp4");
sock.on("message", function (msg, rinfo) {
  // msg is a string of 8-bit characters; answer from port 7 to where it came from (RFC 862).
  sock.send(msg, rinfo.port, rinfo.address);
});
sock.on("error", function (e) { console.log("dgram error " + e.code + " " + e.message); });
sock.bind(7, function () {
  console.log("dgram echo on 192.0.2.4:7, MAC " + micronet.formatMac(eth.mac));
});
