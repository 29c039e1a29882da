/**
 * A frame landing while the W5500 driver reads Sn_RX_RSR, seen from the stack: the chip updates the
 * 16-bit register between the two octets of a read (datasheet v1.0.9 p. 54, Sn_RX_RSR: "read it twice
 * ... until the two values agree"), so a single read can return high octet old, low octet new. The
 * stack above must still get every datagram, intact and in order, with nothing counted as dropped and
 * the socket never reopened. A second stack on the hub sends; a stack behind the simulated W5500
 * (src/sim/w5500.ts, armTear) receives.
 */
import { Hub, HubDevice } from '../../src/sim/hub';
import { W5500Sim } from '../../src/sim/w5500';
import { connect } from '../../src/drivers/w5500';
import { createStack } from '../../src/index';

const W_IP = '192.0.2.3';
const PEER_IP = '192.0.2.4';

function rig() {
  const hub = new Hub();
  const sim = new W5500Sim().attach(hub);
  const eth = connect(sim.spi, sim.cs, { mac: '02:00:00:00:55:01' });
  const board = createStack();
  board.addInterface(eth, { address: W_IP, netmask: '255.255.255.0' });
  const peer = createStack();
  peer.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 4])), { address: PEER_IP, netmask: '255.255.255.0' });
  const got: string[] = [];
  board.udp.bind(5000, (buf, off, len) => { got.push(Buffer.from(buf.subarray(off, off + len)).toString('latin1')); });
  let t = 0;
  const poll = () => { t += 10; board.poll(t); peer.poll(t); };
  // ARP both ways before the test proper
  board.udp.send(PEER_IP, 9, 'hello');
  for (let i = 0; i < 10; i++) poll();
  expect(peer.arp.lookup(W_IP)).toBe('02:00:00:00:55:01');
  got.length = 0;
  const rx0 = board.stats().eth.rx;
  const delivered0 = board.stats().udp.delivered;
  /** Frames and datagrams the board's stack took in since the warm-up. */
  const since = () => ({ frames: board.stats().eth.rx - rx0, delivered: board.stats().udp.delivered - delivered0 });
  return { sim, eth, board, peer, got, poll, since };
}

/** A payload of `n` octets that says which datagram it is. */
function payload(tag: number, n: number): string {
  const s = `#${tag}:`;
  return (s + 'x'.repeat(Math.max(0, n - s.length))).substring(0, n);
}

describe('W5500: a frame arriving while Sn_RX_RSR is read', () => {
  // Each round leaves `before` frames waiting, then one more lands between the octets of the driver's
  // next RSR read. Sizes chosen so that the waiting total crosses a multiple of 256 (the high octet
  // changes): a single read would then see fewer octets than the first frame's length header claims.
  // Every frame in the chip costs 2 (length header) + 42 (headers) + payload octets, a frame shorter
  // than 60 octets being padded to 60 on the wire.
  const rounds: Array<[number, number, number]> = [
    [3, 22, 58],    // 3 x 66 = 198 waiting, then 102 more: 300 = 0x012c, a single read sees 0x002c
    [1, 200, 100],  // 244, then 144: 388 = 0x0184, a single read sees 0x0084 = 132 < 244
    [5, 7, 300],    // 5 x 62 = 310, then 344: 654 = 0x028e, a single read sees 0x018e = 398, ending inside the late frame
    [2, 1000, 1],   // 2088 = 0x0828, then 62: 2150 = 0x0866: the high octet stays, a single read is right too
  ];
  test.each(rounds)('%d datagram(s) of %d octets waiting, one of %d lands mid-read: all delivered, none dropped', (before, size, late) => {
    const { sim, eth, board, peer, got, poll, since } = rig();
    const want: string[] = [];
    for (let i = 0; i < before; i++) {
      want.push(payload(i, size));
      expect(peer.udp.send(W_IP, 5000, want[i], 6000)).toBe(true);
    }
    const lateData = payload(before, late);
    want.push(lateData);
    let fired = 0;
    sim.armTear('RSR', () => { fired++; expect(peer.udp.send(W_IP, 5000, lateData, 6000)).toBe(true); });
    for (let i = 0; i < 10 && got.length < want.length; i++) poll();
    expect(fired).toBe(1);
    expect(got).toEqual(want);
    const st = board.stats();
    expect(since()).toEqual({ frames: want.length, delivered: want.length });
    expect(eth.counters.reopens).toBe(0);
    expect(eth.counters.rxBadLength).toBe(0);
    expect(st.ring.free).toBe(st.ring.size);
  });

  test('torn reads at every RSR read for 200 datagrams: every one arrives, in order', () => {
    const { sim, eth, peer, got, poll, since } = rig();
    const want: string[] = [];
    let n = 0;
    const sendOne = () => { const d = payload(n, 1 + ((n * 37) % 300)); n++; want.push(d); expect(peer.udp.send(W_IP, 5000, d, 6000)).toBe(true); };
    // a tear armed before every poll: the first RSR read of the poll lets a datagram land mid-read
    for (let round = 0; round < 200; round++) {
      sendOne();
      sim.armTear('RSR', sendOne);
      poll();
      if (want.length >= 200) break;
    }
    for (let i = 0; i < 20 && got.length < want.length; i++) poll();
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
    expect(eth.counters.reopens).toBe(0);
    expect(since()).toEqual({ frames: want.length, delivered: want.length });
  });
});
