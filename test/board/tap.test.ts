/**
 * The board scripts on the bench board with --tap: the simulated chip's wire is a Linux tap in a network
 * namespace this test creates (Linux 192.0.2.1/24; RFC 5737 addresses that never leave it), real-time
 * clock. Linux pings each board and exchanges UDP with its echo service (for boards/espruino-dgram.js:
 * Espruino's dgram through the micronet-networkjs adapter); the Pico and W5500 boards also answer a
 * datagram Linux sends to 239.1.2.3:5000. The same checks run with the sandbox bench board and with the
 * script on the real Pico-memory Espruino (--engine espruino-pico). Needs root, ip, socat, /dev/net/tun (skipped otherwise; fails
 * under CI). Everything is removed afterwards, even on failure.
 */
import * as path from 'path';
import { startBoard } from '../../src/host/board';
import { startEngineBoard } from '../../src/host/board-engine';
import type { TapBridge } from '../../src/host/tap';
import { destroyAllNamespaces } from '../../src/host/netns';
import { LinuxUdpPeer, ping } from '../../src/host/linux-peer';
import { describeInterop } from '../helpers/netns';
import { describeEngines } from '../helpers/engines';
import { randomBytes } from '../helpers/frames';

const ROOT = path.join(__dirname, '..', '..');

const SCRIPTS: Array<{ file: string; ip: string; multicast: boolean }> = [
  { file: 'boards/pico-enc28j60.js', ip: '192.0.2.2', multicast: true },
  { file: 'boards/espruino-w5500.js', ip: '192.0.2.3', multicast: true },
  { file: 'boards/espruino-dgram.js', ip: '192.0.2.4', multicast: false },
];

jest.setTimeout(60000);

/** What the tests need of a bench board, sandbox or real interpreter. */
interface TapBoard { tap: TapBridge | null; errors: string[]; stop(): void }

/** The checks against Linux for one script on a board `start` makes (one board for all of them). */
function linuxChecks(start: (file: string) => Promise<TapBoard>, { file, ip, multicast }: (typeof SCRIPTS)[number]): void {
  let board: TapBoard | null = null;
  let peer: LinuxUdpPeer | null = null;
  beforeAll(async () => {
    board = await start(path.join(ROOT, file));
    peer = await LinuxUdpPeer.start(board.tap!.ns);
  }, 60000);
  afterAll(() => {
    if (peer) peer.stop();
    if (board) board.stop();
    peer = null;
    board = null;
  });

  test('answers Linux ping (56 and 1472 octets)', async () => {
    for (const size of [56, 1472]) {
      const r = await ping(board!.tap!.ns, ip, size, 3);
      expect(r.received).toBeGreaterThanOrEqual(3); // more when a late reply made ping send another (-w)
      expect(r.wrongData).toBe(false);
    }
    expect(board!.errors).toEqual([]);
  }, 60000);

  test('echoes UDP datagrams from a Linux socket on port 7', async () => {
    const sock = await peer!.bind(0);
    for (const n of [1, 200, 1000, 1472]) {
      const data = Buffer.from(randomBytes(n, n));
      expect(await sock.send(data, ip, 7)).toBeNull();
      const m = await sock.receive(10000);
      expect(m.address).toBe(ip);
      expect(m.port).toBe(7);
      expect(m.data.equals(data)).toBe(true);
    }
    expect(board!.errors).toEqual([]);
  }, 60000);

  // only the scripts that join a group are asked about it (declared for them alone, so nothing is skipped)
  if (multicast) test('answers a datagram Linux sends to 239.1.2.3:5000 with a unicast copy', async () => {
    const ns = board!.tap!.ns;
    ns.runSync('ip', ['route', 'add', '239.0.0.0/8', 'dev', board!.tap!.ifname]);
    const sock = await peer!.bind(0);
    expect(await sock.send(Buffer.from('hello group'), '239.1.2.3', 5000)).toBeNull();
    const m = await sock.receive(10000);
    expect(m.address).toBe(ip);
    expect(m.port).toBe(5000);
    expect(m.data.toString()).toBe('hello group');
    expect(board!.errors).toEqual([]);
  }, 60000);
}

describeInterop('board scripts on the bench board against Linux (--tap)', () => {
  afterAll(() => destroyAllNamespaces());
  describe.each(SCRIPTS)('$file', (sc) => linuxChecks((f) => startBoard(f, { tap: true, clock: 'real' }), sc));
});

// The same on the real interpreter: npm run board -- --engine espruino-pico --tap boards/X.js
describeInterop('board scripts on the Pico-memory Espruino against Linux (--engine espruino-pico --tap)', () => {
  afterAll(() => destroyAllNamespaces());
  describeEngines(['espruino-pico'], 'espruino-pico', () =>
    describe.each(SCRIPTS)('$file', (sc) => linuxChecks((f) => startEngineBoard(f, { engine: 'espruino-pico', tap: true }), sc)));
});
