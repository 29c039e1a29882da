/**
 * micronet's NetworkJS adapter behind Espruino's REAL built-in dgram (Espruino 2v29: the Linux build and
 * the Pico-memory build, micronet from Storage as uploaded), and the same scenario on the bench board's
 * emulation of Espruino's socket server (src/host/board-netjs.ts): one script
 * (networkjs-scenario.js), one set of checks, so the emulation is held to what the interpreter does.
 * Two modes: register(stack, {lookup}) (the documented path: names resolved, reasons thrown) and a bare
 * networkjs(stack) driver given to NetworkJS.create (reasons printed, names refused).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runOnEngine, EngineName } from '../../src/host/engine';
import { startBoard } from '../../src/host/board';
import { describeEngines } from '../helpers/engines';

const DIR = __dirname;
const MODES = ['register', 'raw'] as const;
type Mode = (typeof MODES)[number];

function script(mode: Mode): string {
  return 'var MODE = "' + mode + '";\n' + fs.readFileSync(path.join(DIR, 'scenarios', 'lib.js'), 'latin1') + '\n' +
    fs.readFileSync(path.join(DIR, 'networkjs-scenario.js'), 'latin1');
}

interface Outcome { k: Record<string, any>; output: string; errors: string[] }

function onEngine(engine: EngineName, mode: Mode): Outcome {
  const r = runOnEngine({ engine, name: 'networkjs-' + mode, script: script(mode), start: 'main', timeoutMs: 90000 });
  const k: Record<string, any> = {};
  for (const rep of r.reports) if (rep && typeof rep === 'object' && 'k' in rep) k[rep.k] = rep.v;
  return { k, output: r.output, errors: r.errors };
}

async function onBench(mode: Mode): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micronet-njs-'));
  try {
    const f = path.join(dir, 'scenario.js');
    // the bench board preloads the bundles the script requires, as the upload does
    fs.writeFileSync(f, script(mode) + '\nmain();\n', 'latin1');
    const b = await startBoard(f, { clock: 'virtual' });
    for (let i = 0; i < 200 && !b.output.some((l) => l.indexOf('"k":"closed"') >= 0); i++) b.advance(50);
    b.stop();
    const k: Record<string, any> = {};
    for (const l of b.output) if (l.indexOf('@@report ') === 0) { const v = JSON.parse(l.slice(9)); k[v.k] = v.v; }
    return { k, output: b.output.join('\n'), errors: b.errors };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const wireTo = (k: Record<string, any>, a: string) => k.sent.onWire.filter((w: any[]) => w[0] === a).map((w: any[]) => w[3]);

/** The checks, the same for the interpreter and the emulation. */
function checks(get: () => Outcome, mode: Mode): void {
  test('no uncaught error, no assertion', () => {
    expect(get().errors).toEqual([]);
    expect(get().k.closed).toBeDefined();
  });
  test('bind creates the driver socket; a port already bound: micronet\'s reason reaches the user', () => {
    const { k, output } = get();
    expect(k.bind).toBe('ok');
    if (mode === 'register') expect(k.bindTaken).toBe('bind: udp.bind: port 7 is already bound');
    else {
      expect(k.bindTaken).toBe('Unable to create socket'); // Espruino's own message ...
      expect(output).toContain('micronet: udp.bind: port 7 is already bound'); // ... and micronet's, printed
    }
  });
  test('datagrams arrive with rinfo; a 1000-octet one is whole with register(), cut with its real size otherwise', () => {
    const { k, output } = get();
    expect(k.received.got[0]).toEqual([5, 5, '192.0.2.1', 6000, 'hello']);
    if (mode === 'register') {
      expect(k.received.got[1]).toEqual([1000, 1000, '192.0.2.1', 6000, 'ABCDEF']);
      expect(k.received.truncated).toBe(0);
    } else {
      expect(k.received.got[1]).toEqual([528, 1000, '192.0.2.1', 6000, 'ABCDEF']);
      expect(k.received.truncated).toBe(1);
      expect(output.split('\n').filter((l) => l.indexOf('micronet: dgram: a datagram longer than 528 octets was cut') >= 0)).toHaveLength(1);
    }
  });
  test('20 datagrams arriving in one poll are all delivered, none dropped', () => {
    expect(get().k.burst).toEqual({ count: 20, last: 'burst1', dropped: 0 });
  });
  test('a 3000-octet send: micronet\'s reason reaches the user and the socket stays open', () => {
    const { k, output } = get();
    // the adapter's own queue takes one frame's payload; micronet's udp.send up to fragmentMaxOctets - 28
    if (mode === 'register') expect(k.sendLong).toContain('send: length 3000 exceeds 1472 octets');
    else {
      expect(k.sendLong).toBe('ok');
      expect(output).toContain('micronet: dgram udp.send: length 3000 exceeds 2952 octets');
    }
    expect(wireTo(k, '192.0.2.1')).toContain('after'); // sent after the refused one, on the same socket
  });
  test('a send to a host name is resolved or refused, never broadcast; a real broadcast still goes out', () => {
    const { k, output } = get();
    const bcast = wireTo(k, '255.255.255.255');
    expect(bcast).toEqual(['bcast']);
    if (mode === 'register') {
      expect(wireTo(k, '192.0.2.78')).toEqual(['named']);
      expect(k.sent.errors).toEqual(['error:ENOTFOUND']);
      expect(output).toContain('micronet: send: nowhere.example: queryA nowhere.example NXDOMAIN');
    } else {
      expect(wireTo(k, '192.0.2.78')).toEqual([]);
      expect(k.sent.sendErrors).toBeGreaterThanOrEqual(3); // the long one and both names
      expect(output).toContain('a host name ("nowhere.example") gives 255.255.255.255 in Espruino');
    }
  });
  test('addMembership joins the group and a datagram to it is delivered; close leaves it and frees the port', () => {
    const { k } = get();
    expect(k.addMembership).toBe('ok');
    expect(k.groups).toEqual(['224.0.0.1', '239.1.2.3']);
    expect(k.multicast).toEqual([[6, 6, '192.0.2.1', 6000, 'group!']]);
    expect(k.closed.groups).toEqual(['224.0.0.1']);
    expect(k.closed.bound7).toBe('ok');
    expect(k.closed.ring).toBe(true);
  });
  test('Espruino\'s double socket lists: a bound socket gets connect and drain, and end/close twice', () => {
    const ev: string[] = get().k.closed.events.filter((e: string) => e.indexOf('error') < 0);
    expect(ev[0]).toBe('connect');
    expect(ev.filter((e) => e === 'drain').length).toBeGreaterThanOrEqual(1);
    expect(ev.filter((e) => e === 'end')).toHaveLength(2);
    expect(ev.filter((e) => e === 'close')).toHaveLength(2);
  });
}

for (const mode of MODES) {
  describe('bench board emulation, ' + mode, () => {
    let out: Outcome;
    beforeAll(async () => { out = await onBench(mode); }, 60000);
    checks(() => out, mode);
  });
}

for (const engine of ['espruino', 'espruino-pico'] as EngineName[]) {
  describeEngines([engine], 'Espruino\'s built-in dgram on ' + engine, () => {
    for (const mode of MODES) {
      describe(mode, () => {
        let out: Outcome;
        beforeAll(() => { out = onEngine(engine, mode); }, 120000);
        checks(() => out, mode);
        if (engine === 'espruino-pico') test('fits a Pico: blocks in use after setup are reported', () => {
          expect(typeof out.k.memory).toBe('number');
          console.log('espruino-pico networkjs ' + mode + ': ' + out.k.memory + ' of 5100 blocks in use after setup');
        });
      });
    }
  });
}
