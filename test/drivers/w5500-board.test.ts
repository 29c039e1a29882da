/**
 * boards/espruino-w5500.js, unchanged, inside the ES5 sandbox with the shipped bundles (dist/micronet.js,
 * dist/micronet-w5500.js) and a stand-in for the Espruino globals it uses: SPI2 is a simulated W5500's
 * SPI bus, B1 its INTn pin (setWatch sees its falling edges), timers run when the test says so.
 * A peer stack on the same virtual LAN pings nothing but UDP: it sends datagrams to port 7 and expects
 * them back.
 */
import * as path from 'path';
import { createEs5Sandbox, loadModule } from '../../src/host/es5-sandbox';
import { Hub, HubDevice } from '../../src/sim/hub';
import { W5500Sim } from '../../src/sim/w5500';
import { createStack } from '../../src/index';

const root = path.join(__dirname, '..', '..');

test('the board script answers UDP echo on 192.0.2.3:7 through the shipped bundles and the simulated W5500', () => {
  const hub = new Hub();
  const pins: Record<string, unknown> = {};
  for (const p of ['B1', 'B10', 'B13', 'B14', 'B15']) pins[p] = { pin: p };
  const sim = new W5500Sim({ cs: pins.B10 }).attach(hub);
  let nowMs = 1000;
  const timers: Array<{ fn: () => void; ms: number; next: number; repeat: boolean }> = [];
  const ready: Array<() => void> = [];
  const watches: Array<{ fn: () => void; pin: unknown }> = [];
  const logs: string[] = [];
  let spiSetup: any = null;
  sim.onInt((level) => { if (level === 0) for (const w of watches) if (w.pin === pins.B1) ready.push(w.fn); });
  const sb = createEs5Sandbox({
    espruinoE: true,
    globals: {
      ...pins,
      SPI2: { setup: (o: unknown) => { spiSetup = o; }, send: sim.spi.send, write: sim.spi.write },
      pinMode: () => {},
      digitalRead: (p: unknown) => (p === pins.B1 ? sim.intLevel : 1),
      setWatch: (fn: () => void, pin: unknown) => { watches.push({ fn, pin }); },
      setInterval: (fn: () => void, ms: number) => { timers.push({ fn, ms, next: nowMs + ms, repeat: true }); },
      setTimeout: (fn: () => void, ms: number) => { timers.push({ fn, ms, next: nowMs + ms, repeat: false }); },
      getTime: () => nowMs / 1000,
      console: { log: (s: string) => { logs.push(String(s)); } },
    },
  });
  const modules: Record<string, unknown> = {};
  const req = (id: string) => {
    if (!modules[id]) {
      const file = id === 'micronet' ? 'dist/micronet.js' : id === 'micronet-w5500' ? 'dist/micronet-w5500.js' : null;
      if (!file) throw new Error('module not found: ' + id);
      modules[id] = loadModule(sb, path.join(root, file), req);
    }
    return modules[id];
  };
  loadModule(sb, path.join(root, 'boards/espruino-w5500.js'), req);
  expect(spiSetup).toMatchObject({ mosi: pins.B15, miso: pins.B14, sck: pins.B13, mode: 0 });
  expect(logs[0]).toMatch(/192\.0\.2\.3\/24.*02:4d:4e:00:55:03/);
  expect(watches.length).toBe(1);

  // The host side: a plain stack on a hub port.
  const peer = createStack();
  peer.addInterface(new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 0x10)), { address: '192.0.2.10', netmask: '255.255.255.0' });
  const echoes: Buffer[] = [];
  peer.udp.bind(40000, (buf, off, len) => { echoes.push(Buffer.from(buf.subarray(off, off + len))); });

  /** Runs the queued watch callbacks (bounded: a callback that keeps re-queuing fails the test). */
  function runReady() {
    for (let i = 0; ready.length; i++) {
      if (i >= 1000) throw new Error('watch callbacks still queued after 1000 runs');
      ready.shift()!();
    }
  }

  /** Runs the board's event loop for `ms`: watch callbacks first, then due timers, 10 ms steps. */
  function runBoard(ms: number) {
    const end = nowMs + ms;
    while (nowMs < end) {
      nowMs += 10;
      peer.poll(nowMs);
      runReady();
      for (const t of timers.slice()) {
        if (t.next <= nowMs) {
          if (t.repeat) t.next += t.ms; else timers.splice(timers.indexOf(t), 1);
          t.fn();
        }
      }
      runReady();
      peer.poll(nowMs);
    }
  }

  runBoard(500);
  const sizes = [1, 100, 1472];
  for (const n of sizes) {
    const p = Buffer.alloc(n, n & 0xff);
    expect(peer.udp.send('192.0.2.3', 7, p, 40000)).toBe(true);
    runBoard(300);
  }
  expect(echoes.map((e) => e.length)).toEqual(sizes);
  for (const e of echoes) expect(e.every((b) => b === (e.length & 0xff))).toBe(true);
  expect(sim.misuseTotal()).toBe(0);
  expect(sim.counters.rxOverflow).toBe(0);
});
