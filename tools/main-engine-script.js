/**
 * The board script the main job (`npm start -- --engine espruino`) and the interop suite run on the real
 * interpreter (src/host/board-engine.ts): micronet and a chip driver from Storage, the chip on SPI1 (the
 * simulated chip's wire is the tap), 192.0.2.2/24 with
 *   - a UDP echo on port 7 (RFC 862);
 *   - a control port 9: "send PORT" makes micronet send datagrams of 1, 512 and 1472 octets (octet i of a
 *     datagram of n is (i * 7 + n) & 255) from port 4000 to the sender's address at PORT; "stats"
 *     prints `@@report {"stats": stack.stats(), "echoed": n, "blocks": process.memory().usage}` once the
 *     listener has returned;
 *   - 239.1.2.3 joined, a datagram to the group on port 5000 answered with a unicast copy from 5000.
 * scriptFor(chip) returns the text (its `bench:` header wires the chip).
 */
'use strict';

const HEADERS = {
  enc28j60: '// bench: SPI1 chip=enc28j60 cs=B1 int=A8 sck=B3 miso=B4 mosi=B5',
  w5500: '// bench: SPI1 chip=w5500 cs=B1 int=A8 sck=B3 miso=B4 mosi=B5',
};

function scriptFor(chip) {
  if (!HEADERS[chip]) throw new Error('chip: must be enc28j60 or w5500 (got ' + chip + ')');
  return [
    HEADERS[chip],
    'var micronet = require("micronet");',
    'SPI1.setup({ sck: B3, miso: B4, mosi: B5, baud: 8000000 });',
    'var eth = require("micronet-' + chip + '").connect(SPI1, B1, { mac: "02:00:00:00:00:02", int: A8 });',
    'var stack = micronet.createStack();',
    'stack.addInterface(eth, { address: "192.0.2.2", netmask: "255.255.255.0", name: "eth0" });',
    'var echoed = 0;',
    'stack.udp.bind(7, function (buf, off, len, info) {',
    '  echoed++;',
    '  stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7);',
    '});',
    'function pattern(n) { var u = new Uint8Array(n); for (var i = 0; i < n; i++) u[i] = (i * 7 + n) & 255; return u; }',
    'stack.udp.bind(9, function (buf, off, len, info) {',
    '  var w = E.toString(buf.subarray(off, off + len)).split(" ");',
    '  if (w[0] === "send") [1, 512, 1472].forEach(function (n) { stack.udp.send(info.srcAddress, Number(w[1]), pattern(n), 4000); });',
    // after the listener returns, so the frame carrying "stats" is back in the ring
    '  if (w[0] === "stats") setTimeout(function () { print("@@report " + JSON.stringify({ stats: stack.stats(), echoed: echoed, blocks: process.memory().usage })); }, 0);',
    '});',
    'var GROUP = micronet.parseIPv4("239.1.2.3");',
    'stack.igmp.join("239.1.2.3");',
    'stack.udp.bind(5000, function (buf, off, len, info) {',
    '  if (info.dstAddress === GROUP) stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 5000);',
    '});',
    'micronet.run(stack, { pins: [A8] });',
    'print("@@report " + JSON.stringify({ ready: true, mac: micronet.formatMac(eth.mac) }));',
    '',
  ].join('\n');
}

module.exports = { scriptFor };
