/**
 * boards/pico-enc28j60.js run unchanged in a Node vm with Espruino-like globals (SPI1, pins, setWatch,
 * setInterval, digitalRead) backed by the simulated ENC28J60 on a hub, with the built bundles from
 * dist/. A wire peer (192.0.2.1) answers ARP and sends UDP datagrams to port 7; they must come back.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { Hub } from '../../src/sim/hub';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { udpFrame, arpFrame, parseEthernet, parseArp, parseIpFrame, parseUdp, PEER_IP, PEER_MAC } from '../helpers/frames';

const ROOT = path.join(__dirname, '..', '..');
const BOARD_MAC = '02:4d:4e:00:00:02';
const BOARD_IP = '192.0.2.2';
// dist/ is built by test/global-setup.js before any suite: a missing bundle is a failure, not a skip.
const core = require(path.join(ROOT, 'dist/micronet.js'));

test('Pico board script: UDP echo on port 7 through driver and simulated chip', () => {
  const hub = new Hub();
  // The script's default delay busy-waits on the host's Date.now(): the chip's time is that same wall
  // clock (a real chip's time passes with the board's), never an SPI-octet count that a loaded host
  // could leave behind or ahead of it.
  const t0 = process.hrtime.bigint();
  const sim = new Enc28j60Sim({ clock: () => Number(process.hrtime.bigint() - t0) / 1000 });
  sim.attach(hub);
  const heard: Uint8Array[] = [];
  const peer = {
    deliver(f: Uint8Array, n: number) {
      const frame = f.slice(0, n);
      heard.push(frame);
      const eth = parseEthernet(frame);
      if (eth.type === 0x0806) {
        const a = parseArp(eth.payload);
        if (a.op === 1 && a.tpa === PEER_IP) {
          const reply = arpFrame({ op: 2, sha: PEER_MAC, spa: PEER_IP, tha: a.sha, tpa: a.spa, ethDst: a.sha });
          queueMicrotask(() => hub.transmit(peer, reply, reply.length)); // not from inside the sender's SPI call
        }
      }
    },
  };
  hub.attach(peer);

  const pending: (() => void)[] = [];
  const intervals: (() => void)[] = [];
  const watches: { fn: () => void; pin: unknown }[] = [];
  const log: string[] = [];
  sim.onInt((level) => { if (level === 0) for (const w of watches) pending.push(w.fn); });
  const pin = (name: string) => ({ name, set() {}, reset() {}, toString: () => name });
  const mods: Record<string, unknown> = {
    micronet: core,
    'micronet-enc28j60': require(path.join(ROOT, 'dist/micronet-enc28j60.js')),
  };
  const ctx = vm.createContext({
    require: (n: string) => { if (!(n in mods)) throw new Error('no module ' + n); return mods[n]; },
    SPI1: { setup() {}, send: (d: Uint8Array, cs: unknown) => sim.spi.send(d, cs), write: (d: Uint8Array, cs: unknown) => sim.spi.write(d, cs) },
    A8: pin('A8'), B1: pin('B1'), B3: pin('B3'), B4: pin('B4'), B5: pin('B5'), B10: pin('B10'),
    pinMode() {},
    digitalRead: () => sim.int,
    setWatch: (fn: () => void, p: unknown) => { watches.push({ fn, pin: p }); },
    setInterval: (fn: () => void) => { intervals.push(fn); },
    console: { log: (s: string) => log.push(String(s)) },
    Uint8Array, Date,
  });
  // The board's own delay: the default busy-wait (no delayMs hook in the board script).
  vm.runInContext(fs.readFileSync(path.join(ROOT, 'boards/pico-enc28j60.js'), 'utf8'), ctx, { filename: 'pico-enc28j60.js' });
  expect(log[0]).toMatch(/revision 0x6, link up/);
  expect(watches.length).toBe(1);
  expect(intervals.length).toBe(1);

  /** Runs the watch callbacks that INT edges queued (Espruino runs them from its main loop). */
  async function settle() {
    for (let i = 0; i < 50; i++) {
      await Promise.resolve();
      const fns = pending.splice(0);
      if (fns.length === 0 && i > 2) break;
      for (const fn of fns) fn();
      sim.advance(200);
    }
  }

  return (async () => {
    const echoes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const data = Uint8Array.from(Buffer.from('hello ' + i));
      const f = udpFrame({ srcPort: 40000 + i, dstPort: 7, data, dst: BOARD_IP, ethDst: BOARD_MAC });
      hub.transmit(peer, f, f.length);
      await settle();
      if (i === 0) { intervals[0](); await settle(); } // the slow timer (ARP retry path)
    }
    // The last reply's transmission ends 70 µs of wall time after it started: let that time pass, then
    // let the chip finish what fell due.
    await new Promise((r) => setTimeout(r, 5));
    sim.advance(0);
    for (const f of heard) {
      const eth = parseEthernet(f);
      if (eth.type !== 0x0800 || f[23] !== 17) continue; // UDP only (the script also sends IGMP reports)
      const { ip } = parseIpFrame(f);
      const u = parseUdp(ip.payload, ip.src, ip.dst);
      expect(u.checksumOk).toBe(true);
      expect(u.srcPort).toBe(7);
      echoes.push(u.dstPort + ':' + Buffer.from(u.data).toString());
    }
    expect(echoes).toEqual([0, 1, 2, 3, 4].map((i) => `${40000 + i}:hello ${i}`));
    expect(sim.driverErrors).toBe(0);
  })();
});
