/**
 * The board scripts in boards/, unchanged, on the bench board (src/host/board.ts) with the virtual clock,
 * their simulated chip on a virtual LAN with two other hosts: a scripted host (192.0.2.1: ARP + ping,
 * frames built by test/helpers/frames.ts) and a micronet stack from the sources (192.0.2.10: UDP).
 * Each script must answer ARP, ping and UDP echo on port 7; the Pico and W5500 scripts also join
 * 239.1.2.3 (an IGMPv2 report on the wire) and answer datagrams sent to the group on port 5000.
 * Storage holds the minified bundles from dist/, loaded by the script's require, as on a board.
 */
import * as fs from 'fs';
import * as path from 'path';
import { startBoard, Board, parseBenchHeader, requiredModules } from '../../src/host/board';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { W5500Sim } from '../../src/sim/w5500';
import { Hub, HubDevice } from '../../src/sim/hub';
import { createStack } from '../../src/index';
import { parseEthernet, parseIpv4, randomBytes, ETHERTYPE_IPV4 } from '../helpers/frames';
import { ScriptedHost } from './lan-peer';

const ROOT = path.join(__dirname, '..', '..');
const PEER_IP = '192.0.2.10';
const GROUP = '239.1.2.3';

const SCRIPTS: Array<{ file: string; ip: string; mac: string; multicast: boolean }> = [
  { file: 'boards/pico-enc28j60.js', ip: '192.0.2.2', mac: '02:4d:4e:00:00:02', multicast: true },
  { file: 'boards/espruino-w5500.js', ip: '192.0.2.3', mac: '02:4d:4e:00:55:03', multicast: true },
  { file: 'boards/espruino-dgram.js', ip: '192.0.2.4', mac: '02:4d:4e:00:00:04', multicast: false },
];

/** A board plus its LAN peers; the peers are polled from the board's loop at every step. */
async function boardOnLan(file: string) {
  // The peers are on the LAN before the script runs, so they hear what it sends at start.
  const hub = new Hub();
  const host = new ScriptedHost(hub);
  const peer = createStack();
  peer.addInterface(new HubDevice(hub, Uint8Array.of(2, 0, 0, 0, 0, 0x10)), { address: PEER_IP, netmask: '255.255.255.0', name: 'lan0' });
  const board = await startBoard(path.join(ROOT, file), { clock: 'virtual', hub });
  board.loop.tickHooks.push((now) => {
    host.flush();
    peer.poll(now);
  });
  return { board, host, peer };
}

function chipClean(board: Board): void {
  for (const c of board.chips) {
    if (c.sim instanceof Enc28j60Sim) expect(c.sim.driverErrorLog).toEqual([]);
    if (c.sim instanceof W5500Sim) expect(c.sim.misuseTotal()).toBe(0);
  }
}

describe.each(SCRIPTS)('$file on the bench board, virtual LAN', ({ file, ip, mac, multicast }) => {
  let b: Awaited<ReturnType<typeof boardOnLan>>;
  beforeEach(async () => {
    b = await boardOnLan(file);
    b.board.advance(300);
  });
  afterEach(() => b.board.stop());

  test('starts without errors, loads its modules from Storage', () => {
    expect(b.board.errors).toEqual([]);
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const bundles = requiredModules(text).filter((m) => /^micronet/.test(m));
    expect(bundles.length).toBeGreaterThanOrEqual(2);
    for (const m of bundles) {
      expect(b.board.io.storage.get(m)).toBe(fs.readFileSync(path.join(ROOT, 'dist', m + '.min.js'), 'latin1'));
      expect(Object.keys(b.board.io.cache)).toContain(m);
    }
    expect(b.board.chips.map((c) => c.spec)).toEqual(parseBenchHeader(text));
  });

  test('answers ARP and ping from the scripted host', () => {
    b.host.whoHas(ip);
    b.board.advance(50);
    expect(b.host.arpReplyFrom(ip)).toBe(mac);
    const payloads = [0, 56, 1472].map((n, i) => randomBytes(n, 7 + i));
    payloads.forEach((d, i) => {
      b.host.ping(ip, mac, 0x4242, i + 1, d);
      b.board.advance(50);
    });
    const replies = b.host.echoReplies(ip);
    expect(replies.map((r) => r.seq)).toEqual([1, 2, 3]);
    replies.forEach((r, i) => {
      expect(r.id).toBe(0x4242);
      expect(r.checksumOk).toBe(true);
      expect(Buffer.from(r.data).equals(Buffer.from(payloads[i]))).toBe(true);
    });
    expect(b.board.errors).toEqual([]);
    chipClean(b.board);
  });

  test('UDP echo on port 7 for a second stack', () => {
    const got: Array<{ data: Buffer; from: number }> = [];
    b.peer.udp.bind(40000, (buf, off, len, info) => { got.push({ data: Buffer.from(buf.subarray(off, off + len)), from: info.srcPort }); });
    const sizes = [1, 100, 600, 1472];
    for (const n of sizes) {
      expect(b.peer.udp.send(ip, 7, randomBytes(n, n), 40000)).toBe(true);
      b.board.advance(100);
    }
    expect(got.map((g) => g.data.length)).toEqual(sizes);
    got.forEach((g, i) => {
      expect(g.from).toBe(7);
      expect(g.data.equals(Buffer.from(randomBytes(sizes[i], sizes[i])))).toBe(true);
    });
    expect(b.board.errors).toEqual([]);
    chipClean(b.board);
  });

  // only the scripts that join a group are asked about it (declared for them alone, so nothing is skipped)
  if (multicast) test('joins 239.1.2.3 and answers group datagrams on port 5000 with a unicast copy', () => {
    // The join was reported on the wire: an IGMPv2 membership report (type 0x16) for the group.
    const reports = b.host.heard.filter((f) => {
      if (parseEthernet(f).type !== ETHERTYPE_IPV4) return false;
      const h = parseIpv4(f.subarray(14));
      return h.protocol === 2 && h.dst === GROUP && h.payload[0] === 0x16;
    });
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(parseEthernet(reports[0]).dst).toBe('01:00:5e:01:02:03');

    const got: Array<{ data: Buffer; from: number; src: number; dst: number }> = [];
    b.peer.udp.bind(40001, (buf, off, len, info) => {
      got.push({ data: Buffer.from(buf.subarray(off, off + len)), from: info.srcPort, src: info.srcAddress, dst: info.dstAddress });
    });
    expect(b.peer.udp.send(GROUP, 5000, Buffer.from('to the group'), 40001)).toBe(true);
    b.board.advance(100);
    // Unicast to port 5000 is not for the multicast listener: no answer.
    expect(b.peer.udp.send(ip, 5000, Buffer.from('unicast'), 40001)).toBe(true);
    b.board.advance(100);
    expect(got.map((g) => g.data.toString())).toEqual(['to the group']);
    expect(got[0].from).toBe(5000);
    expect(got[0].dst).toBe(0xc000020a); // 192.0.2.10: a unicast answer
    expect(b.board.errors).toEqual([]);
    chipClean(b.board);
  });
});
