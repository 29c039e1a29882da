/**
 * micronet-dgram "udp6" sockets over micronet-ipv6 (two stacks on a virtual hub, virtual time), with
 * Node's semantics: rinfo family "IPv6", dual-stack sockets bound to "::" (IPv4 peers as
 * ::ffff:a.b.c.d) unless ipv6Only, a socket bound to one address, multicast groups by MLD.
 */
import { createStack } from '../../src/index';
import { create as createIpv6 } from '../../src/ipv6/index';
import { use } from '../../src/sockets/dgram';
import { install } from '../../src/ipv6/dgram6';
import { Hub, HubDevice } from '../../src/sim/hub';

function lan() {
  const hub = new Hub();
  const a = createStack({ random: () => 0.25 }), b = createStack({ random: () => 0.75 });
  a.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 1])), { address: '192.0.2.1', netmask: '255.255.255.0', name: 'eth0' });
  b.addInterface(new HubDevice(hub, new Uint8Array([2, 0, 0, 0, 0, 2])), { address: '192.0.2.2', netmask: '255.255.255.0', name: 'eth0' });
  const a6 = install(createIpv6(a, { addresses: ['2001:db8:1::1/64'] })), b6 = install(createIpv6(b, { addresses: ['2001:db8:1::2/64'] }));
  let t = 0;
  const run = async (ms = 50) => {
    for (const end = t + ms; t < end; t += 5) { a.poll(t); b.poll(t); await new Promise((r) => setTimeout(r, 0)); }
  };
  return { a, b, a6, b6, run };
}

async function ready() {
  const l = lan();
  await l.run(3000);
  for (const x of [...l.a6.addresses(), ...l.b6.addresses()]) expect(x.state).toBe('preferred');
  return l;
}

describe('dgram udp6 sockets', () => {
  test('echo over IPv6: rinfo, address(), callback', async () => {
    const { a, b, run } = await ready();
    const server = use(b).createSocket('udp6');
    const got: any[] = [];
    server.on('message', (m: Buffer, r: any) => { got.push([m.toString(), r]); server.send(m, r.port, r.address); });
    server.bind(7);
    expect(server.address()).toEqual({ address: '::', family: 'IPv6', port: 7 });
    const client = use(a).createSocket('udp6');
    const back: string[] = [];
    client.on('message', (m: Buffer, r: any) => back.push(m.toString() + ' from ' + r.address + ' ' + r.family));
    let sent: any[] = [];
    client.send('ping6', 7, '2001:db8:1::2', (err: any, n: number) => { sent = [err, n]; });
    await run(200); // the neighbour is resolved first
    expect(sent).toEqual([null, 5]);
    expect(got).toEqual([['ping6', { address: '2001:db8:1::1', family: 'IPv6', port: client.address().port, size: 5 }]]);
    expect(back).toEqual(['ping6 from 2001:db8:1::2 IPv6']);
    client.close(); server.close();
    await run();
    // closed: the port is free again over IPv6 and IPv4
    expect((b as any).ip6.udp.bind(7, () => {})).toBe(7);
    expect(b.udp.bind(7, () => {})).toBe(7);
  });

  test('dual-stack by default: an IPv4 peer is ::ffff:a.b.c.d and is answered over IPv4', async () => {
    const { a, b, run } = await ready();
    const server = use(b).createSocket('udp6');
    const got: any[] = [];
    server.on('message', (m: Buffer, r: any) => { got.push(r.address); server.send(m, r.port, r.address); });
    server.bind(9);
    const c4 = use(a).createSocket('udp4');
    const back: any[] = [];
    c4.on('message', (m: Buffer, r: any) => back.push([m.toString(), r.address, r.family]));
    c4.send('v4', 9, '192.0.2.2');
    await run(200);
    expect(got).toEqual(['::ffff:192.0.2.1']);
    expect(back).toEqual([['v4', '192.0.2.2', 'IPv4']]);
  });

  test('ipv6Only: IPv4 datagrams to the port are not delivered (port unreachable)', async () => {
    const { a, b, run } = await ready();
    const got: string[] = [];
    use(b).createSocket({ type: 'udp6', ipv6Only: true }, (m: Buffer) => got.push(m.toString())).bind(11);
    use(a).createSocket('udp4').send('x', 11, '192.0.2.2');
    await run(200);
    expect(got).toEqual([]);
    expect(b.stats().udp.noPort).toBe(1);
  });

  test('bound to one address: datagrams to another address of the host are not delivered', async () => {
    const { a, b, b6, run } = await ready();
    b6.addAddress('eth0', '2001:db8:1::22/64');
    await run(3000);
    const got: string[] = [];
    use(b).createSocket('udp6', (m: Buffer) => got.push(m.toString())).bind(13, '2001:db8:1::22');
    const c = use(a).createSocket('udp6');
    c.send('to ::2', 13, '2001:db8:1::2');
    c.send('to ::22', 13, '2001:db8:1::22');
    await run(300);
    expect(got).toEqual(['to ::22']);
  });

  test('multicast: addMembership reports the group by MLD and receives; dropMembership stops', async () => {
    const { a, b, b6, run } = await ready();
    const got: string[] = [];
    const s = use(b).createSocket('udp6', (m: Buffer) => got.push(m.toString()));
    s.bind(5353);
    s.addMembership('ff02::fb', 'eth0');
    expect(b6.groups()).toContain('ff02::fb');
    const c = use(a).createSocket('udp6');
    c.send('hello group', 5353, 'ff02::fb%eth0');
    await run(100);
    expect(got).toEqual(['hello group']);
    s.dropMembership('ff02::fb', 'eth0');
    expect(b6.groups()).not.toContain('ff02::fb');
    c.send('again', 5353, 'ff02::fb%eth0');
    await run(100);
    expect(got).toEqual(['hello group']);
    expect(b6.stats().ip6.notForUs).toBeGreaterThanOrEqual(1);
  });

  test('udp6 needs micronet-ipv6 on the stack; bad addresses throw naming the argument', async () => {
    const s = createStack(), s2 = createStack();
    createIpv6(s2); // micronet-ipv6 alone: no udp6 sockets yet
    expect(() => use(s2).createSocket('udp6')).toThrow(/micronet-ipv6-dgram/);
    expect(() => use(s).createSocket('udp6')).toThrow(/udp6 with micronet-ipv6 and micronet-ipv6-dgram installed/);
    const { a } = await ready();
    const c = use(a).createSocket('udp6');
    expect(() => c.send('x', 7, '2001:db8::1::2')).toThrow(/send: address/);
    expect(() => c.address()).toThrow(/not bound/); // a send that threw bound nothing
    expect(() => use(a).createSocket('udp6').bind(0, 'nonsense')).toThrow(/bind: address/);
  });
});
