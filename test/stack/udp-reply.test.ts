/**
 * stack.udp.reply: a listener answers the datagram it was given in the same ring frame (no copy, no
 * frame taken). Two stacks on a virtual hub, and frames crafted by hand for the cases a peer stack does
 * not send (IP options, a request from 0.0.0.0).
 */
import { createStack, formatIPv4 } from '../../src/index';
import { Hub, HubDevice, WirePort } from '../../src/sim/hub';
import { onesSum } from '../../src/wire/checksum';

function twoStacks() {
  const hub = new Hub();
  const a = createStack(), b = createStack();
  a.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 1])), { address: '192.0.2.1', netmask: '255.255.255.0' });
  b.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2])), { address: '192.0.2.2', netmask: '255.255.255.0' });
  const frames: Buffer[] = [];
  hub.attach({ deliver: (f: Uint8Array, l: number) => frames.push(Buffer.from(f.subarray(0, l))) } as WirePort);
  let t = 0;
  const run = (ms = 50) => { for (const end = t + ms; t < end; t += 5) { a.poll(t); b.poll(t); } };
  return { hub, a, b, run, frames };
}
const text = (buf: Uint8Array, off: number, len: number) => Buffer.from(buf.subarray(off, off + len)).toString('latin1');
const ringFull = (...st: any[]) => { for (const s of st) { const r = s.stats().ring; expect([r.free, r.doubleGive]).toEqual([r.size, 0]); } };

/** The UDP checksum of a frame we captured is right (RFC 768: pseudo header + datagram sums to 0xffff). */
function udpSumOk(f: Buffer): boolean {
  const ulen = f.readUInt16BE(38);
  const ph = f.readUInt16BE(26) + f.readUInt16BE(28) + f.readUInt16BE(30) + f.readUInt16BE(32) + 17 + ulen;
  return onesSum(f, 34, ulen, ph) === 0xffff && onesSum(f, 14, 20, 0) === 0xffff;
}

/** A UDP datagram 4000 -> 192.0.2.2:7 carrying "ABC" from 02:00:00:00:00:09 and `src`, with IP `opts`. */
function request(src: number[], opts: number[]): Buffer {
  const hl = 20 + opts.length, data = [0x41, 0x42, 0x43], ulen = 8 + data.length, total = hl + ulen;
  const f = Buffer.alloc(14 + total);
  Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 9, 8, 0]).copy(f, 0);
  f[14] = 0x40 | (hl >> 2); f.writeUInt16BE(total, 16); f[22] = 64; f[23] = 17;
  Buffer.from(src).copy(f, 26); Buffer.from([192, 0, 2, 2]).copy(f, 30); Buffer.from(opts).copy(f, 34);
  f.writeUInt16BE(0xffff - onesSum(f, 14, hl, 0), 24);
  const o = 14 + hl;
  f.writeUInt16BE(4000, o); f.writeUInt16BE(7, o + 2); f.writeUInt16BE(ulen, o + 4); Buffer.from(data).copy(f, o + 8);
  f.writeUInt16BE(0xffff - onesSum(f, o, ulen, f.readUInt16BE(26) + f.readUInt16BE(28) + 0xc000 + 0x0202 + 17 + ulen), o + 6);
  return f;
}

describe('udp.reply', () => {
  test('an echo with reply: ports and addresses reversed, payload rewritten in place, checksums right, no frame taken', () => {
    const { a, b, run, frames } = twoStacks();
    b.udp.bind(7, (buf, off, len) => { for (let i = 0; i < len; i++) buf[off + i] ^= 0x20; expect(b.udp.reply(len)).toBe(true); });
    const got: string[] = [];
    a.udp.bind(5555, (buf, off, len, info) => got.push(text(buf, off, len) + ' from ' + formatIPv4(info.srcAddress) + ':' + info.srcPort));
    a.udp.send('192.0.2.2', 7, 'hello', 5555);
    run();
    expect(got).toEqual(['HELLO from 192.0.2.2:7']);
    const reply = frames.find((f) => f.readUInt32BE(26) === 0xc0000202 && f[23] === 17)!;
    expect(udpSumOk(reply)).toBe(true);
    expect(reply.subarray(0, 6)).toEqual(Buffer.from([2, 0, 0, 0, 0, 1]));
    expect(b.stats().udp.tx).toBe(1);
    ringFull(a, b);
  });

  test('a shorter or longer reply than the request, and a zero-length one', () => {
    const { a, b, run } = twoStacks();
    b.udp.bind(7, (buf, off, len) => { const n = buf[off]; for (let i = 0; i < n; i++) buf[off + i] = 0x61 + i; b.udp.reply(n); });
    const got: string[] = [];
    a.udp.bind(5555, (buf, off, len) => got.push(text(buf, off, len)));
    for (const n of [3, 0, 40]) { a.udp.send('192.0.2.2', 7, new Uint8Array([n, 1, 2, 3, 4, 5]), 5555); run(); }
    expect(got).toEqual(['abc', '', 'abcdefghijklmnopqrstuvwxyz'.padEnd(26) + String.fromCharCode(...Array.from({ length: 14 }, (_, i) => 0x61 + 26 + i))]);
    ringFull(a, b);
  });

  test('a reply to a broadcast request goes from the interface address (RFC 1122 §4.1.3.5)', () => {
    const { a, b, run, frames } = twoStacks();
    b.udp.bind(7, (buf, off, len) => b.udp.reply(len));
    const got: string[] = [];
    a.udp.bind(5555, (buf, off, len, info) => got.push(formatIPv4(info.srcAddress) + '->' + formatIPv4(info.dstAddress)));
    a.udp.send('255.255.255.255', 7, 'who', 5555);
    run();
    expect(got).toEqual(['192.0.2.2->192.0.2.1']);
    expect(frames.filter((f) => f[23] === 17).every(udpSumOk)).toBe(true);
    ringFull(a, b);
  });

  test('outside a listener, or twice for one datagram, it throws naming the rule; a bad length throws too', () => {
    const { a, b, run } = twoStacks();
    expect(() => b.udp.reply(1)).toThrow(/udp\.reply: only inside a UDP listener/);
    const errors: string[] = [];
    b.udp.bind(7, (buf, off, len) => {
      for (const n of [-1, 1473, 1.5]) { try { b.udp.reply(n); } catch (e: any) { errors.push(e.message); } }
      b.udp.reply(len);
      try { b.udp.reply(len); } catch (e: any) { errors.push(e.message); }
    });
    let replies = 0;
    a.udp.bind(5555, () => replies++);
    a.udp.send('192.0.2.2', 7, 'x', 5555);
    run();
    expect(replies).toBe(1);
    expect(errors.slice(0, 3).every((m) => /udp\.reply: length .* is not 0\.\.1472/.test(m))).toBe(true);
    expect(errors[3]).toMatch(/only inside a UDP listener, once per datagram/);
    ringFull(a, b);
  });

  test('a reply to a sender not in the ARP cache is parked (the frame kept), sent once the neighbour answers; the ring balances', () => {
    const hub = new Hub();
    const b = createStack(), c = createStack();
    b.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2])), { address: '192.0.2.2', netmask: '255.255.255.0' });
    c.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 9])), { address: '192.0.2.9', netmask: '255.255.255.0' });
    const port = { deliver: () => undefined } as WirePort;
    hub.attach(port);
    let t = 0;
    for (let i = 0; i < 4; i++) { b.poll(t); c.poll(t); t += 5; } // gratuitous ARPs go out first
    const results: boolean[] = [];
    let freeDuring = -1;
    b.udp.bind(7, (buf, off, len) => { results.push(b.udp.reply(len)); freeDuring = b.stats().ring.free; });
    const got: string[] = [];
    c.udp.bind(4000, (buf, off, len, info) => got.push(text(buf, off, len) + ' from ' + formatIPv4(info.srcAddress) + ':' + info.srcPort));
    const arpBefore = b.stats().arp.tx;
    const f = request([192, 0, 2, 9], []);
    hub.transmit(port, f, f.length);
    b.poll(t += 5);
    expect(results).toEqual([true]);
    expect(b.stats().arp.tx).toBe(arpBefore + 1); // a request for 192.0.2.9: the reply is parked
    expect(b.stats().ring.free).toBe(freeDuring);
    for (let i = 0; i < 10; i++) { b.poll(t); c.poll(t); t += 5; }
    expect(got).toEqual(['ABC from 192.0.2.2:7']);
    ringFull(b, c);
  });

  test('a request with IP options and one from 0.0.0.0 (counted, not answered)', () => {
    const hub = new Hub();
    const b = createStack();
    b.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2])), { address: '192.0.2.2', netmask: '255.255.255.0' });
    const out: Buffer[] = [];
    const port = { deliver: (f: Uint8Array, l: number) => out.push(Buffer.from(f.subarray(0, l))) } as WirePort;
    hub.attach(port);
    b.arp.add('192.0.2.9', '02:00:00:00:00:09');
    b.udp.bind(7, (buf, off, len) => b.udp.reply(len));
    const mk = (src: number[], opts: number[]) => request(src, opts);
    let t = 0;
    const send = (f: Buffer) => { out.length = 0; hub.transmit(port, f, f.length); for (let i = 0; i < 4; i++) b.poll(t += 5); };
    send(mk([192, 0, 2, 9], [1, 1, 1, 0])); // NOP NOP NOP EOL: 4 octets of options
    const r = out.filter((f) => f[23] === 17);
    expect(r.length).toBe(1);
    expect(r[0][14]).toBe(0x45); // not reflected
    expect(r[0].subarray(42, 45).toString()).toBe('ABC');
    expect([r[0].readUInt16BE(34), r[0].readUInt16BE(36)]).toEqual([7, 4000]);
    expect(udpSumOk(r[0])).toBe(true);
    const before = b.stats().ip.noRoute;
    send(mk([0, 0, 0, 0], []));
    expect(out.filter((f) => f[23] === 17).length).toBe(0);
    expect(b.stats().ip.noRoute).toBe(before + 1);
    const ring = b.stats().ring;
    expect(ring.free).toBe(ring.size);
  });
});
