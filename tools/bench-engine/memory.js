/*
 * Memory of a board's setup on the real interpreter (run by tools/bench-engine.js on the Pico-memory
 * Espruino, modules from Storage; it puts `var REPLAY = "...", MAC = [...];` in front and the driver's
 * name where __DRIVER__ stands): blocks in use (process.memory().usage, after its garbage collection)
 * after each step a board script takes — require the core, require the driver, createStack() (4
 * frames), the chip's connect, addInterface. The engine has no chip: the SPI object replays the answers
 * the simulated chip gave to the same driver's connect on Node (tools/bench-engine/spi.js), and checks
 * that every request has the length and sum recorded there (`mismatches` counts those that do not).
 * NO_ARP (put in front as well) leaves the gateway out. Reports "steps" ([name, blocks in use]), "frameDataBlocks" (the data blocks of one 1518-octet frame),
 * "replay" ({used, of, mismatches}); "step" (the name of each step as it completes: on a board too small for
 * the setup the last one says how far it got before Espruino ran out of memory).
 */
function report(k, v) { print("@@report " + JSON.stringify({ k: k, v: v })); }
function usage() { return process.memory().usage; }
/** Records the blocks in use after step `name`, and reports the name at once. */
function step(steps, name) { steps.push([name, usage()]); report("step", name); }

/** Espruino's SPI argument flattening, as spi.js flatten does it; returns [length, sum]. */
function requestOf(x, acc) {
  var i;
  if (typeof x === "number") { acc[0]++; acc[1] = (acc[1] + (x & 255) * acc[0]) % 65521; }
  else if (typeof x === "string") for (i = 0; i < x.length; i++) requestOf(x.charCodeAt(i), acc);
  else if (x && typeof x === "object" && x.count !== undefined && x.data !== undefined) for (i = 0; i < x.count; i++) requestOf(x.data, acc);
  else for (i = 0; i < x.length; i++) requestOf(x[i], acc);
  return acc;
}
function ReplaySpi(script) { this.s = script; this.at = 0; this.used = 0; this.mismatches = 0; }
/** The next recorded transaction: [kind, length, sum, answer hex]. */
ReplaySpi.prototype.next = function (kind, data) {
  var end = this.s.indexOf(";", this.at);
  if (end < 0) end = this.s.length;
  var t = this.s.substring(this.at, end).split(",");
  this.at = end + 1;
  this.used++;
  var r = requestOf(data, [0, 0]);
  if (t[0] !== kind || +t[1] !== r[0] || +t[2] !== r[1]) this.mismatches++;
  return t;
};
ReplaySpi.prototype.send = function (data, cs) {
  var t = this.next("s", data), hex = t[3] || "", out = new Uint8Array(hex.length >> 1);
  for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
};
ReplaySpi.prototype.write = function (data, cs) { this.next("w", data); };

function main() {
  var frameData = E.getSizeOf(new Uint8Array(1518)) - E.getSizeOf(new Uint8Array(1));
  var spi = new ReplaySpi(REPLAY), steps = [];
  step(steps, "start");
  var mn = require("micronet");
  step(steps, "require core");
  var driver = require("__DRIVER__");
  step(steps, "require driver");
  var stack = mn.createStack();
  step(steps, "createStack (4 frames)");
  var eth = driver.connect(spi, "D1", { mac: new Uint8Array(MAC), delayMs: function () {} });
  step(steps, "connect");
  // a build without ARP (a multicast-only profile) refuses a gateway: such a board has none
  stack.addInterface(eth, NO_ARP ? { address: "192.0.2.2", netmask: "255.255.255.0" } :
    { address: "192.0.2.2", netmask: "255.255.255.0", gateway: "192.0.2.1" });
  step(steps, "addInterface");
  report("free", process.memory().free);
  report("steps", steps);
  report("frameDataBlocks", frameData);
  report("replay", { used: spi.used, of: REPLAY.split(";").length, mismatches: spi.mismatches });
  report("frames", stack.stats().ring.size);
}
