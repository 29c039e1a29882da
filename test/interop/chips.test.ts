/**
 * The whole chain on one wire: Linux kernel ── tap ── simulated LAN (hub) ── simulated ENC28J60 or W5500
 * ── the real chip driver over the mock SPI bus ── micronet. Linux pings micronet and talks UDP to it;
 * every frame crosses the chip model's buffers and the driver's SPI sequences.
 */
import { Hub } from '../../src/sim/hub';
import { Enc28j60Sim } from '../../src/sim/enc28j60';
import { W5500Sim } from '../../src/sim/w5500';
import { connect as connectEnc } from '../../src/drivers/enc28j60';
import { connect as connectW5500 } from '../../src/drivers/w5500';
import type { Device } from '../../src/drivers/device';
import { createStack } from '../../src/index';
import { attachTapToHub, TapBridge } from '../../src/host/tap';
import { ipNeigh, LinuxUdpPeer, ping } from '../../src/host/linux-peer';
import { destroyAllNamespaces } from '../../src/host/netns';
import { describeInterop } from '../helpers/netns';

const MAC = Uint8Array.of(0x02, 0x4d, 0x4e, 0x00, 0x00, 0x22);

/** A chip on the hub and its driver; `advanceUs` lets simulated chip time follow the wall clock. */
interface Chip { device: Device; advanceUs?: (us: number) => void }

const CHIPS: Array<[string, (hub: Hub) => Chip]> = [
  ['ENC28J60', (hub) => {
    const sim = new Enc28j60Sim();
    sim.attach(hub);
    // The model's time moves with SPI octets and advance(); a real chip's moves on its own (a frame
    // leaves 8 + length + 12 octet times after TXRTS), so follow the wall clock between polls.
    return { device: connectEnc(sim.spi, 'CS', { mac: MAC, delayMs: sim.delayMs }), advanceUs: (us) => sim.advance(us) };
  }],
  ['W5500 (MACRAW)', (hub) => {
    const sim = new W5500Sim().attach(hub);
    return { device: connectW5500(sim.spi, sim.cs, { mac: MAC }) };
  }],
];

describe.each(CHIPS)('Linux <-> tap <-> simulated %s <-> driver <-> micronet', (_chip, makeChip) => describeInterop('chain', () => {
  let bridge: TapBridge | null = null;
  let timer: NodeJS.Timeout | null = null;
  let peer: LinuxUdpPeer | null = null;
  afterEach(() => {
    if (timer) clearInterval(timer);
    if (peer) peer.stop();
    if (bridge) bridge.close();
    timer = null; peer = null; bridge = null;
  });
  afterAll(() => destroyAllNamespaces());

  test('ping 0/56/1472 octets, UDP echo, and Linux learns the chip MAC', async () => {
    bridge = await TapBridge.open();
    const hub = new Hub();
    attachTapToHub(bridge, hub);
    const stack = createStack();
    const chip = makeChip(hub);
    stack.addInterface(chip.device, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'chip0' });
    stack.udp.bind(7, (buf, off, len, info) => {
      stack.udp.send(info.srcAddress, info.srcPort, buf.subarray(off, off + len), 7);
    });
    let last = Date.now();
    timer = setInterval(() => {
      const now = Date.now();
      if (chip.advanceUs) chip.advanceUs((now - last) * 1000);
      last = now;
      stack.poll(now);
    }, 1);
    let requests = 0;
    for (const size of [0, 56, 1472]) {
      const r = await ping(bridge.ns, '192.0.2.2', size, 3);
      if (r.received < 3 || r.wrongData) throw new Error('ping -s ' + size + ':\n' + r.output);
      requests += r.transmitted;
    }
    expect(ipNeigh(bridge.ns, '192.0.2.2')!.lladdr).toBe('02:4d:4e:00:00:22');
    peer = await LinuxUdpPeer.start(bridge.ns);
    const sock = await peer.bind();
    for (const size of [1, 512, 1472]) {
      const data = Buffer.alloc(size, size & 255);
      expect(await sock.send(data, '192.0.2.2', 7)).toBeNull();
      const m = await sock.receive();
      expect(m.data.equals(data)).toBe(true);
    }
    for (let i = 0; i < 500 && stack.stats().icmp.echoReplies < requests; i++) await new Promise((r) => setTimeout(r, 5));
    const st = stack.stats();
    expect(st.icmp.echoReplies).toBe(requests); // every request answered (ping may send more than -c)
    expect(st.udp.delivered).toBe(3);
    expect(st.eth.txFail).toBe(0);
  });
}));
