/*
 * Espruino Pico + ENC28J60 Ethernet module: static address 192.0.2.2/24, a UDP echo on port 7 and a
 * multicast listener on 239.1.2.3 port 5000.
 *
 * Upload (modules into Storage, then this script):
 *   espruino -p /dev/ttyACM0 --storage micronet:dist/micronet.min.js \
 *     --storage micronet-enc28j60:dist/micronet-enc28j60.min.js boards/pico-enc28j60.js
 *
 * Wiring. SPI1 is on the Pico's bottom row: B3 = SCK, B4 = MISO, B5 = MOSI (pin row from the Espruino
 * board file boards/PICO_R1_3.py, "bottom: GND VBAT 3.3 B3 B4 B5 B6 B7 A8"; SPI1 on B3/B4/B5 as in the
 * Espruino SPI page's `SPI1.setup({ mosi:B5, miso:B4, sck:B3 })`). ENC28J60 module pin names are those
 * printed on the common 10-pin modules.
 *
 *   | ENC28J60 module | Espruino Pico | note                                                  |
 *   |-----------------|---------------|-------------------------------------------------------|
 *   | SCK             | B3            | SPI1 SCK                                              |
 *   | SO (MISO)       | B4            | SPI1 MISO                                             |
 *   | SI (MOSI)       | B5            | SPI1 MOSI                                             |
 *   | CS              | B1            | any GPIO                                              |
 *   | INT             | A8            | active low; input_pullup, watched on falling edges    |
 *   | RESET           | B10           | optional; active low                                  |
 *   | VCC             | 3.3           | the chip draws over 100 mA when transmitting: the     |
 *   |                 |               | Pico's regulator (~200 mA continuous) must supply it  |
 *   | GND             | GND           |                                                       |
 *   | CLKOUT, WOL     | not connected |                                                       |
 *
 * B6/B7 (serial console when USB is unplugged) are left free. A8 and B1/B10 use distinct EXTI lines,
 * so setWatch on A8 does not clash with anything here.
 *
 * Test from a host on 192.0.2.0/24:  ping 192.0.2.2   and   echo hello | nc -u -w1 192.0.2.2 7
 * Multicast: a datagram to 239.1.2.3:5000 is answered with a unicast copy from 192.0.2.2:5000.
 *
 * Bench board wiring (npm run board -- boards/pico-enc28j60.js [--tap]; see src/host/board.ts):
 * bench: SPI1 chip=enc28j60 cs=B1 int=A8 reset=B10 sck=B3 miso=B4 mosi=B5
 */
var micronet = require("micronet");
var enc28j60 = require("micronet-enc28j60");

var INT_PIN = A8;
// 8 MHz or more (at most 20): below 8 MHz the ENC28J60 may misread its MAC/MII registers (errata
// DS80349C item 1). Espruino's default is 100 kHz. `baud` below tells the driver, which checks it.
var BAUD = 8000000;
SPI1.setup({ sck: B3, miso: B4, mosi: B5, baud: BAUD, mode: 0 });

var eth = enc28j60.connect(SPI1, B1, {
  mac: "02:4d:4e:00:00:02",          // locally administered: give every board its own
  baud: BAUD,
  int: INT_PIN,
  reset: B10,
  onLink: function (up) { console.log("ENC28J60 link " + (up ? "up" : "down")); }
});
console.log("ENC28J60 revision 0x" + eth.revision.toString(16) + ", link " + (eth.linkUp() ? "up" : "down"));

var stack = micronet.createStack();
stack.addInterface(eth, { address: "192.0.2.2", netmask: "255.255.255.0", name: "eth0" });

// UDP echo (RFC 862): send each datagram back to where it came from. The payload view is only valid
// during the call; udp.send copies it into a ring frame.
stack.udp.bind(7, function (buf, off, len, info) {
  stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7);
});

// Multicast listener: join 239.1.2.3 on eth0 (micronet sends the IGMPv2 report and answers queries)
// and answer every datagram sent to the group on port 5000 with a unicast copy to its sender.
var GROUP = "239.1.2.3";
var GROUP_ADDRESS = micronet.parseIPv4(GROUP);
stack.igmp.join(GROUP);
stack.udp.bind(5000, function (buf, off, len, info) {
  if (info.dstAddress !== GROUP_ADDRESS) return; // unicast to port 5000: not for this listener
  stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 5000);
});

function poll() {
  stack.poll(Date.now());
}

// INT is held low while anything is pending, and setWatch only sees falling edges: keep polling
// (bounded) while the pin stays low, so no edge is missed.
function onInt() {
  for (var i = 0; i < 8; i++) {
    poll();
    if (digitalRead(INT_PIN)) return;
  }
}

pinMode(INT_PIN, "input_pullup");
setWatch(onInt, INT_PIN, { repeat: true, edge: "falling" });
// A slow timer runs ARP retries and catches anything the watch missed.
setInterval(poll, 250);
poll();
