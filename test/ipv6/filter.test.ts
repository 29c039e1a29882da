/**
 * The chip's multicast filter follows micronet-ipv6's groups: a stack on the simulated ENC28J60 with
 * the real driver (register level, DS39662E §8 hash filter). A group's frames (33:33 MACs, RFC 2464 §7)
 * pass the chip only while the group is joined; ff02::1 and the solicited-node group always; what the
 * chip drops never reaches the stack.
 */
import { createStack } from '../../src/stack/stack';
import { create } from '../../src/ipv6/index';
import { rig } from '../drivers/enc28j60-harness';
import { ip6frame, udp6, groupMac, solicitedNode, PEER_LL } from '../helpers/frames6';
import { mac } from '../helpers/frames';

/** Reflected CRC-32, bitwise (independent of the driver). */
function crc32(d: number[]): number {
  let c = 0xffffffff;
  for (const b of d) { c ^= b; for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1; }
  return (c ^ 0xffffffff) >>> 0;
}
/** The ENC28J60 hash-table bit of a MAC: bits 28..23 of the CRC as the chip computes it. */
function hashBit(m: number[]): number {
  const inv = ~crc32(m) >>> 0;
  let r = 0;
  for (let i = 0; i < 32; i++) if (inv & (1 << i)) r |= 1 << (31 - i);
  return ((r >>> 0) >>> 23) & 0x3f;
}

test('a group passes the ENC28J60 only while joined; ff02::1 always', () => {
  const r = rig();
  const stack = createStack({ random: () => 0.5 });
  stack.addInterface(r.drv, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'eth0' });
  const m = create(stack, { routerSolicitations: 0 });
  let t = 0;
  const run = (ms: number) => { for (const end = t + ms; t < end;) { t += 10; stack.poll(t); } };
  run(3000);
  const ll = m.addresses()[0].address;
  // a group whose hash bit no joined group shares (so only the filter's following can let it in)
  const taken = new Set([groupMac('ff02::1'), groupMac(solicitedNode(ll))].map((x) => hashBit(mac(x))));
  let n = 1;
  while (taken.has(hashBit(mac(groupMac('ff02::1:' + n.toString(16)))))) n++;
  const g = 'ff02::1:' + n.toString(16);
  const got: number[] = [];
  m.udp.bind(9, (buf: Uint8Array, off: number) => { got.push(buf[off]); });
  const send = (dst: string, v: number) => r.peer.send(ip6frame({ src: PEER_LL, dst, nh: 17, payload: udp6(PEER_LL, dst, 4000, 9, [v]) }));
  const before = m.stats().ip6.rx;
  send(g, 1);        // not joined: the chip drops it
  send('ff02::1', 2);
  run(50);
  expect(got).toEqual([2]);
  expect(m.stats().ip6.rx - before).toBe(1); // the stack never saw the first
  m.join(g);
  send(g, 3);
  run(50);
  expect(got).toEqual([2, 3]);
  m.leave(g);
  run(3000); // the leave reports
  send(g, 4);
  send('ff02::1', 5);
  run(50);
  expect(got).toEqual([2, 3, 5]);
  expect(r.sim.driverErrors).toBe(0);
});
