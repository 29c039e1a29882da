/**
 * The tap bridge's plumbing, proven without micronet: a hand-written ARP/ICMP responder on the Node
 * side answers the Linux kernel's ping through the tap, both directly and through a simulated hub.
 */
import { Hub, HubDevice } from '../../src/sim/hub';
import { liveNamespaces, NetNamespace } from '../../src/host/netns';
import { attachTapToHub, TapBridge, TapDevice } from '../../src/host/tap';
import { ipNeigh, LinuxUdpPeer, ping } from '../../src/host/linux-peer';
import { describeInterop, MiniResponder } from '../helpers/netns';

const MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, 0x02);
const MAC_TEXT = '02:00:5e:00:00:02';

describeInterop('tap bridge plumbing (Linux kernel <-> Node)', () => {
  let bridge: TapBridge | null = null;
  afterEach(() => {
    if (bridge) bridge.close();
    bridge = null;
  });

  test('Linux resolves and pings a hand-written responder; frames keep their boundaries', async () => {
    bridge = await TapBridge.open();
    const b = bridge;
    const responder = new MiniResponder(MAC, '192.0.2.2', (f) => b.write(f, f.length));
    b.onFrame = (f) => responder.input(f);
    const expected: number[] = [];
    for (const size of [0, 56, 1472]) {
      const r = await ping(b.ns, '192.0.2.2', size, 2);
      expect(r.received).toBeGreaterThanOrEqual(2);
      expect(r.wrongData).toBe(false);
      // ping may send more than -c while a reply is on its way; each request is 14 + 20 + 8 + size.
      for (let i = 0; i < r.transmitted; i++) expected.push(42 + size);
    }
    for (let i = 0; i < 200 && responder.echoRequests < expected.length; i++) await new Promise((r) => setTimeout(r, 5));
    // Linux sent an ARP request and echo requests of exactly their length: one datagram per frame,
    // no merging or splitting, 1514-octet frames included.
    expect(responder.arpRequests).toBeGreaterThanOrEqual(1);
    expect(responder.echoLengths).toEqual(expected);
    const neigh = ipNeigh(b.ns, '192.0.2.2');
    expect(neigh && neigh.lladdr).toBe(MAC_TEXT);
    expect(b.stats.rxBadLength).toBe(0);
  });

  test('the tap as a hub port: a device on a simulated LAN answers Linux', async () => {
    bridge = await TapBridge.open();
    const hub = new Hub();
    const nic = new HubDevice(hub, MAC);
    attachTapToHub(bridge, hub);
    const responder = new MiniResponder(MAC, '192.0.2.2', (f) => nic.send(f, f.length));
    const buf = new Uint8Array(1518);
    const timer = setInterval(() => {
      let n: number;
      while ((n = nic.receive(buf)) > 0) responder.input(buf.slice(0, n));
    }, 1);
    try {
      const r = await ping(bridge.ns, '192.0.2.2', 1000, 3);
      expect(r.received).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(timer);
    }
    expect(hub.framesRepeated).toBeGreaterThanOrEqual(8); // ARP request + reply, 3 echo requests + 3 replies
  });

  test('TapDevice queue is bounded and counts overflow', async () => {
    bridge = await TapBridge.open();
    const dev = new TapDevice(bridge, MAC, 2);
    // Five subnet broadcasts from a Linux socket: five frames, no ARP needed.
    const peer = await LinuxUdpPeer.start(bridge.ns);
    try {
      const s = await peer.bind(0, '192.0.2.1', true);
      for (let i = 1; i <= 5; i++) expect(await s.send(Uint8Array.of(i), '192.0.2.255', 9)).toBeNull();
      for (let i = 0; i < 200 && bridge.stats.rxFrames < 5; i++) await new Promise((r) => setTimeout(r, 10));
    } finally {
      peer.stop();
    }
    expect(bridge.stats.rxFrames).toBe(5);
    expect(dev.pending).toBe(2);
    expect(dev.overflows).toBe(3);
    const f = new Uint8Array(1518);
    expect(dev.receive(f)).toBe(42 + 1);
    expect(Array.from(f.subarray(0, 6))).toEqual([255, 255, 255, 255, 255, 255]);
    expect(f[42]).toBe(1); // the first datagram's payload: the oldest frame comes first
    // A frame longer than the caller's buffer is dropped and counted, not truncated silently.
    expect(dev.receive(new Uint8Array(20))).toBe(0);
    expect(dev.truncated).toBe(1);
    expect(dev.pending).toBe(0);
  });

  test('close() removes the namespace it created and the relays', async () => {
    bridge = await TapBridge.open();
    const name = bridge.ns.name;
    expect(liveNamespaces()).toContain(name);
    bridge.close();
    expect(liveNamespaces()).not.toContain(name);
    const { execFileSync } = require('child_process');
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(name);
    expect(bridge.write(new Uint8Array(60), 60)).toBe(false);
    expect(bridge.stats.txClosed).toBe(1);
  });

  test('a namespace passed in survives close() and is reusable', async () => {
    const ns = NetNamespace.create('micronet');
    try {
      bridge = await TapBridge.open({ ns, ifname: 'mnx1' });
      bridge.close();
      bridge = null;
      expect(ns.isDestroyed).toBe(false);
      expect(ns.runSync('ip', ['-br', 'link'])).toContain('lo');
    } finally {
      ns.destroy();
    }
  });

  test('an existing namespace by name (netns option): the tap joins it, its own setup stays, close() leaves it', async () => {
    // An external user's namespace: made outside micronet, with its own address on another interface.
    const { execFileSync } = require('child_process');
    const name = 'mnext-' + process.pid;
    execFileSync('ip', ['netns', 'add', name]);
    try {
      execFileSync('ip', ['-n', name, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'ext1']);
      execFileSync('ip', ['-n', name, 'addr', 'add', '198.51.100.1/24', 'dev', 'ext0']);
      execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      bridge = await TapBridge.open({ netns: name, ifname: 'mnext0' });
      expect(bridge.ns.name).toBe(name);
      expect(bridge.ns.owned).toBe(false);
      const b = bridge;
      const responder = new MiniResponder(MAC, '192.0.2.2', (f) => b.write(f, f.length));
      b.onFrame = (f) => responder.input(f);
      const r = await ping(b.ns, '192.0.2.2', 56, 2);
      expect(r.received).toBeGreaterThanOrEqual(2);
      // IPv6 left as the user had it (the bridge switches it off only in a namespace it creates)
      expect(execFileSync('ip', ['netns', 'exec', name, 'sysctl', '-n', 'net.ipv6.conf.all.disable_ipv6'], { encoding: 'utf8' }).trim()).toBe('0');
      bridge.close();
      bridge = null;
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(name);
      const links = execFileSync('ip', ['-n', name, '-br', 'link'], { encoding: 'utf8' });
      expect(links).toContain('ext0');
      for (let i = 0; i < 100 && execFileSync('ip', ['-n', name, '-br', 'link'], { encoding: 'utf8' }).includes('mnext0'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(execFileSync('ip', ['-n', name, '-br', 'link'], { encoding: 'utf8' })).not.toContain('mnext0');
      expect(execFileSync('ip', ['-n', name, '-br', 'addr'], { encoding: 'utf8' })).toContain('198.51.100.1/24');
    } finally {
      execFileSync('ip', ['netns', 'del', name]);
    }
  });
});

describe('tap bridge argument checks (no root needed)', () => {
  test('bad options throw an Error naming the option and the rule', async () => {
    await expect(TapBridge.open({ ifname: 'a-name-longer-than-15' })).rejects.toThrow(/^ifname: must be 1 to 15/);
    await expect(TapBridge.open({ linuxAddress: '192.0.2' })).rejects.toThrow(/^linuxAddress: must be a dotted-quad/);
    await expect(TapBridge.open({ prefixLength: 31 })).rejects.toThrow(/^prefixLength: must be an integer from 1 to 30/);
    expect(() => NetNamespace.create('bad name')).toThrow(/^prefix: must be/);
    await expect(TapBridge.open({ netns: 'bad name' })).rejects.toThrow(/netns: "bad name" is not a namespace name/);
  });
});
