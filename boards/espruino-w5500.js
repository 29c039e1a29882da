/*
 * micronet on an Espruino Pico with a WIZnet W5500 module (WIZ550io on the Espruino Pico adaptor shim,
 * or any W5500 breakout wired the same way): static address 192.0.2.3/24, UDP echo on port 7 and a
 * multicast listener on 239.1.2.3 port 5000 (answers each group datagram with a unicast copy).
 * The W5500 runs in MACRAW mode (socket 0 as a plain MAC); micronet does ARP, IPv4, ICMP and UDP.
 *
 * Wiring (Espruino's WIZnet page, "On the Espruino Pico, the adaptor shim uses the following connections";
 * espruino.com/WIZnet):
 *
 *   WIZ550io J1 | Name | Espruino Pico
 *   ------------+------+--------------
 *        1      | GND  |
 *        2      | GND  | GND
 *        3      | MOSI | B15
 *        4      | MISO | B14
 *        5      | SCK  | B13
 *        6      | CS   | B10
 *        7      | 3V3  | 3V3
 *        8      | 3V3  |
 *
 *   Our addition (not in Espruino's table; the shim does not connect it): the module's INTn output to B1,
 *   so frames are picked up as they arrive instead of on the slow poll. Without that wire, delete `int: INT`
 *   below and the script still works from the setInterval poll alone.
 *   (On an original Espruino board Espruino's table is MOSI B5, MISO B4, SCK B3, CS B2 on SPI1.)
 *
 * Upload (the modules go to Storage, the script to RAM):
 *   node tools/build.js
 *   espruino -p /dev/ttyACM0 --storage micronet:dist/micronet.min.js \
 *            --storage micronet-w5500:dist/micronet-w5500.min.js boards/espruino-w5500.js
 * Test from a host on 192.0.2.0/24:  ping 192.0.2.3   and   echo hello | nc -u -w1 192.0.2.3 7
 *
 * Bench board wiring (npm run board -- boards/espruino-w5500.js [--tap]; see src/host/board.ts):
 * bench: SPI2 chip=w5500 cs=B10 int=B1 sck=B13 miso=B14 mosi=B15
 */
var micronet = require("micronet");
var w5500 = require("micronet-w5500");

var CS = B10;
var INT = B1;
/* A locally administered address. A WIZ550io carries its own MAC in the chip at power-up: remove the
 * `mac` line to use it. Give every board on the LAN its own. */
var MAC = "02:4d:4e:00:55:03";

var GROUP = "239.1.2.3";
var GROUP_ADDRESS = micronet.parseIPv4(GROUP);

var stack, eth;

function poll() {
  var n = stack.poll(getTime() * 1000);
  // The stack takes at most maxFramesPerPoll frames per call; if it hit that bound, come back at once
  // rather than waiting for the next INTn edge (the chip does not re-assert INTn for frames it holds).
  if (n >= stack.config.maxFramesPerPoll) setTimeout(poll, 1);
}

function start() {
  SPI2.setup({ mosi: B15, miso: B14, sck: B13, baud: 8000000, mode: 0 });
  pinMode(INT, "input_pullup");
  eth = w5500.connect(SPI2, CS, {
    mac: MAC,
    int: INT,
    onLink: function (up) { console.log("W5500 link " + (up ? "up" : "down")); }
  });
  stack = micronet.createStack();
  stack.addInterface(eth, { address: "192.0.2.3", netmask: "255.255.255.0", name: "eth0" });
  // UDP echo (RFC 862): send every datagram back to where it came from. The payload view is only valid
  // during the call; udp.send copies it into a ring frame before returning.
  stack.udp.bind(7, function (buf, off, len, info) {
    stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7);
  });
  // Multicast listener: join 239.1.2.3 (MMB in the chip is cleared for it, IGMPv2 report sent) and answer
  // every datagram sent to the group on port 5000 with a unicast copy to its sender.
  stack.igmp.join(GROUP);
  stack.udp.bind(5000, function (buf, off, len, info) {
    if (info.dstAddress !== GROUP_ADDRESS) return; // unicast to port 5000: not for this listener
    stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 5000);
  });
  // INTn falls when a frame arrives: poll then. The slow interval runs the stack's timers (ARP retries and
  // aging, link checks) and catches anything an edge missed (the INTn level is what counts, not its edges).
  setWatch(poll, INT, { repeat: true, edge: "falling" });
  setInterval(poll, 250);
  console.log("micronet on W5500: 192.0.2.3/24, UDP echo on port 7, MAC " + micronet.formatMac(eth.mac));
}

start();
