/*
 * MQTT on an Espruino Pico + ENC28J60 with Espruino's own require("net") (micronet-tcp through
 * NetworkJS, micronet-networkjs-tcp): a minimal MQTT 3.1.1 client (OASIS mqtt-v3.1.1, §3) written on
 * `net`, to a broker at 192.0.2.1:1883. Static address 192.0.2.7/24.
 *   - CONNECT (clean session, keep alive 20 s), then SUBSCRIBE "micronet/in" at QoS 1;
 *   - each message on "micronet/in" is answered on "micronet/out" as "echo:<message>" at QoS 1 (the
 *     broker's PUBACK awaited; resent with DUP set on reconnect);
 *   - every 5 s "tick <n> free <blocks>" on "micronet/tick" at QoS 0;
 *   - PINGREQ every 10 s; the connection is dropped when no PINGRESP came for 20 s;
 *   - on close (broker restart, reset), a new connection 2 s later.
 * Prints "mqtt connected", "mqtt closed".
 *
 * Build and upload (web-board profile):  npm run upload -- --port /dev/ttyACM0 --profile web-board boards/pico-mqtt.js
 * On a PC at 192.0.2.1 (Debian: apt-get install mosquitto mosquitto-clients), with a listener on the LAN:
 *   printf 'listener 1883\nallow_anonymous true\n' > m.conf; mosquitto -c m.conf
 *   mosquitto_sub -h 192.0.2.1 -t micronet/out & mosquitto_pub -h 192.0.2.1 -t micronet/in -q 1 -m hi
 *
 * Wiring: as boards/pico-web-server.js (SPI1 on B3/B4/B5, CS B1, INT A8, RESET B10).
 *
 *   | ENC28J60 module | SCK | SO (MISO) | SI (MOSI) | CS | INT | RESET | VCC | GND |
 *   | Espruino Pico   | B3  | B4        | B5        | B1 | A8  | B10   | 3.3 | GND |
 *
 * Bench board (npm run board -- [--engine espruino-pico] [--tap] boards/pico-mqtt.js):
 * bench: SPI1 chip=enc28j60 cs=B1 int=A8 reset=B10 sck=B3 miso=B4 mosi=B5
 * bench: profile=web-board
 */
var micronet = require("micronet");

// 8 MHz or more: below 8 MHz the ENC28J60 may misread its MAC/MII registers (errata DS80349C item 1).
SPI1.setup({ sck: B3, miso: B4, mosi: B5, baud: 8000000, mode: 0 });
var eth = require("micronet-enc28j60").connect(SPI1, B1, { mac: "02:4d:4e:00:00:07", int: A8, reset: B10, baud: 8000000 });
var stack = micronet.createStack();
stack.addInterface(eth, { address: "192.0.2.7", netmask: "255.255.255.0", gateway: "192.0.2.1", name: "eth0" });
micronet.run(stack, { pins: [A8] });

var tcp = require("micronet-tcp").create(stack, { sndBuf: 1024, rcvBuf: 1024, maxConnections: 3, timeWaitMax: 1 });
require("micronet-networkjs-tcp").register(tcp, { sockets: 2 });

var BROKER = { host: "192.0.2.1", port: 1883 };
var sock = null, up = false, inbuf = "", nextId = 1, unacked = {}, lastPong = 0, ticks = 0;

/** The MQTT string: 2-octet length, then the octets (§1.5.3). */
function str(s) { return String.fromCharCode(s.length >> 8, s.length & 255) + s; }
/** A packet: fixed header (type and flags, remaining length as §2.2.3's variable-length integer), body. */
function packet(first, body) {
  var n = body.length, rl = "";
  do { var b = n & 127; n = n >> 7; rl += String.fromCharCode(n > 0 ? b | 128 : b); } while (n > 0);
  return String.fromCharCode(first) + rl + body;
}
function publish(topic, msg, qos, dup, id) {
  if (!up) return;
  if (qos > 0 && id === undefined) { id = nextId; nextId = nextId % 65535 + 1; unacked[id] = [topic, msg]; }
  sock.write(packet(0x30 | (dup ? 8 : 0) | (qos << 1), str(topic) + (qos > 0 ? String.fromCharCode(id >> 8, id & 255) : "") + msg));
}
/** One whole packet received: type in the high nibble of `first`, body without the fixed header. */
function onPacket(first, body) {
  var type = first >> 4;
  if (type === 2) { // CONNACK (§3.2): return code in the second octet
    if (body.charCodeAt(1) !== 0) { console.log("mqtt refused " + body.charCodeAt(1)); sock.end(); return; }
    console.log("mqtt connected");
    up = true;
    lastPong = Date.now();
    sock.write(packet(0x82, "\x00\x01" + str("micronet/in") + "\x01")); // SUBSCRIBE, packet id 1, QoS 1
    for (var id in unacked) publish(unacked[id][0], unacked[id][1], 1, true, +id);
  } else if (type === 3) { // PUBLISH (§3.3)
    var tl = (body.charCodeAt(0) << 8) | body.charCodeAt(1), topic = body.substr(2, tl), qos = (first >> 1) & 3, p = 2 + tl;
    if (qos > 0) { sock.write(packet(0x40, body.substr(p, 2))); p += 2; } // PUBACK with its packet id
    if (topic === "micronet/in") publish("micronet/out", "echo:" + body.substr(p), 1);
  } else if (type === 4) { // PUBACK (§3.4)
    delete unacked[(body.charCodeAt(0) << 8) | body.charCodeAt(1)];
  } else if (type === 13) lastPong = Date.now(); // PINGRESP
}
function onData(d) {
  inbuf += d;
  for (;;) {
    var n = 0, mul = 1, i = 1, b;
    do { if (i >= inbuf.length) return; b = inbuf.charCodeAt(i++); n += (b & 127) * mul; mul *= 128; } while (b & 128);
    if (inbuf.length < i + n) return;
    var first = inbuf.charCodeAt(0), body = inbuf.substr(i, n);
    inbuf = inbuf.substr(i + n);
    onPacket(first, body);
  }
}
function connect() {
  inbuf = "";
  var s = require("net").connect(BROKER, function () {
    // CONNECT (§3.1): protocol "MQTT" level 4, clean session, keep alive 20 s, client id
    s.write(packet(0x10, str("MQTT") + "\x04\x02\x00\x14" + str("micronet-pico")));
  });
  sock = s;
  s.on("data", onData);
  s.on("error", function (e) { console.log("mqtt error " + e.code); });
  s.on("close", function () {
    if (sock === s) { sock = null; up = false; }
    console.log("mqtt closed");
    setTimeout(connect, 2000);
  });
}
setInterval(function () {
  if (!up) return;
  if (Date.now() - lastPong > 20000) { sock.end(); return; }
  sock.write("\xc0\x00"); // PINGREQ (§3.12)
}, 10000);
setInterval(function () { publish("micronet/tick", "tick " + (++ticks) + " free " + process.memory().free, 0); }, 5000);
// the first connection after the top level has run (memory is tightest while the top level runs)
setTimeout(connect, 100);
console.log("MQTT to " + BROKER.host + ":" + BROKER.port + " (MAC " + micronet.formatMac(eth.mac) + ")");
