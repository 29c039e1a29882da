/**
 * W5500 multicast through Sn_MR.MFEN, on a simulated chip in both behaviours a real part may have:
 *  - 'observed': MFEN passes 01:00:5e frames unless MMB is set (what other drivers report of real chips,
 *    CHIPS.md §2.5), so the driver's default (multicastFilter 'mfen': MFEN on, MMB cleared while a group
 *    is joined) receives joined groups;
 *  - 'datasheet': MFEN passes only unicast to SHAR and broadcast (the datasheet's description of MFEN),
 *    so joined groups never arrive with the default, and the fallback (multicastFilter 'stack': MFEN off
 *    while a group is joined, the stack filtering unicast itself) is what receives them.
 * A micronet stack sits on the driver, so the stack's own filtering (eth.notForUs for unicast to other
 * MACs, ip.notForUs for groups not joined) is checked too.
 */
import { Hub } from '../../src/sim/hub';
import { W5500Sim } from '../../src/sim/w5500';
import { connect, W5500Options } from '../../src/drivers/w5500';
import { createStack } from '../../src/index';
import * as R from '../../src/drivers/w5500-regs';
import { udpFrame } from '../helpers/frames';

const US_MAC = '02:00:00:00:00:02';
const GROUP = '239.1.2.3';
const GROUP_MAC = '01:00:5e:01:02:03';
const OTHER_GROUP_MAC = '01:00:5e:01:02:04';

function node(mfenMode: 'observed' | 'datasheet', opts: W5500Options = {}) {
  const hub = new Hub();
  const sim = new W5500Sim({ mfenMode }).attach(hub);
  const eth = connect(sim.spi, sim.cs, { mac: US_MAC, ...opts });
  const stack = createStack();
  stack.addInterface(eth, { address: '192.0.2.2', netmask: '255.255.255.0', name: 'w5500' });
  const got: string[] = [];
  stack.udp.bind(5000, (buf, off, len) => { got.push(Buffer.from(buf.subarray(off, off + len)).toString()); });
  let t = 0;
  const poll = () => { for (let i = 0; i < 4; i++) stack.poll((t += 5)); };
  const send = (text: string, dst: string, ethDst: string) => {
    const f = udpFrame({ dstPort: 5000, dst, ethDst, data: Buffer.from(text) });
    sim.deliver(f, f.length);
    poll();
  };
  return { hub, sim, eth, stack, got, send, poll };
}

const mode = (sim: W5500Sim) => sim.openMode(0);

describe.each(['observed', 'datasheet'] as const)('W5500 chip whose MFEN behaves as %s', (chip) => {
  test('default (multicastFilter "mfen"): MFEN stays set; a joined group arrives only where MFEN passes 01:00:5e', () => {
    const { sim, stack, got, send, poll } = node(chip);
    stack.igmp.join(GROUP);
    poll();
    expect(mode(sim) & (R.Sn_MR_MFEN | R.Sn_MR_MMB)).toBe(R.Sn_MR_MFEN);
    send('to group', GROUP, GROUP_MAC);
    send('to us', '192.0.2.2', US_MAC);
    expect(got).toEqual(chip === 'observed' ? ['to group', 'to us'] : ['to us']);
    expect(sim.misuseTotal()).toBe(0);
  });

  test('fallback (multicastFilter "stack"): MFEN off while a group is joined; groups arrive, the stack drops the rest', () => {
    const { sim, eth, stack, got, send, poll } = node(chip, { multicastFilter: 'stack' });
    // No group: MFEN and MMB set, the chip filters as usual.
    expect(mode(sim) & (R.Sn_MR_MFEN | R.Sn_MR_MMB)).toBe(R.Sn_MR_MFEN | R.Sn_MR_MMB);
    send('before join', GROUP, GROUP_MAC);
    expect(got).toEqual([]);
    stack.igmp.join(GROUP);
    poll();
    expect(mode(sim) & R.Sn_MR_MFEN).toBe(0);
    expect(mode(sim) & R.Sn_MR_MIP6B).toBe(R.Sn_MR_MIP6B); // IPv6 still blocked in the chip
    const notForUs0 = stack.stats().eth.notForUs;
    send('to group', GROUP, GROUP_MAC);
    send('to us', '192.0.2.2', US_MAC);
    send('unicast to another MAC', '192.0.2.9', '02:00:00:00:00:09'); // the chip passes it now
    send('another group', '239.1.2.4', OTHER_GROUP_MAC);
    expect(got).toEqual(['to group', 'to us']);
    expect(stack.stats().eth.notForUs - notForUs0).toBe(1); // dropped by the stack, not by the chip
    expect(eth.counters.modeChanges).toBe(1);
    // Leaving the last group: MFEN and MMB set again.
    stack.igmp.leave(GROUP);
    poll();
    expect(mode(sim) & (R.Sn_MR_MFEN | R.Sn_MR_MMB)).toBe(R.Sn_MR_MFEN | R.Sn_MR_MMB);
    send('after leave', GROUP, GROUP_MAC);
    send('unicast to another MAC again', '192.0.2.9', '02:00:00:00:00:09');
    expect(got).toEqual(['to group', 'to us']);
    expect(stack.stats().eth.notForUs - notForUs0).toBe(1); // the chip filtered it this time
    expect(sim.misuseTotal()).toBe(0);
  });
});

test('multicastFilter other than "mfen" or "stack" throws, naming the option', () => {
  const sim = new W5500Sim();
  expect(() => connect(sim.spi, sim.cs, { mac: US_MAC, multicastFilter: 'open' as 'stack' })).toThrow(/options\.multicastFilter/);
});
