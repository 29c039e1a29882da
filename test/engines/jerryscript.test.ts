/**
 * The engine scenarios (suite.ts) on JerryScript 3.0 built with a 72 KB heap (`jerry-heap72`, what fits
 * an MCU), loading the plain-script bundle micronet.global.min.js and the other modules as CommonJS
 * wrapped by the runner; the engine has no timers, so callbacks run at once. What does not fit the 72 KB
 * heap is recorded as a limit and runs on the 512 KB build (`jerry`). (DHCP sits at the edge: it fitted
 * for a while during issue 12's work and stopped fitting again by a few hundred octets; dgram stopped
 * fitting when issue 15's IPv4 features joined the full build, dns when the ping client, fragmentation on
 * send and the ARP defences did: 43,015 octets, udp when several addresses per interface did: 44,979.) JerryScript reports an out-of-memory in three ways: exit
 * 10 (ERR_OUT_OF_MEMORY), a RangeError from an allocation that can fail, and, when its parser runs out of
 * memory, the exception value null ("Unhandled exception: null": the parser throws a plain value, as no
 * error object can be allocated then).
 */
import { describeEngines } from '../helpers/engines';
import { defineScenarioSuites } from './suite';
import { ScenarioResult } from './scenarios';

/** Out of memory in any of JerryScript's three ways (see above), before the scenario's end. */
const outOfMemory = (res: ScenarioResult): boolean => !res.k.done &&
  (res.r.status === 10 || res.r.errors.some((e) => /RangeError|Unhandled exception: null$/.test(e)));

describeEngines(['jerry-heap72'], 'JerryScript, 72 KB heap', () => defineScenarioSuites('jerry-heap72', 'jerry-heap72', {
  limits: {
    dhcp: {
      title: 'micronet.global.min.js + micronet-dhcp and the scenario exhaust the 72 KB heap: the parser runs out of memory ' +
        '(exception null), or an allocation fails (RangeError, exit 10); it passes with the 512 KB heap',
      holds: outOfMemory,
    },
    dns: {
      title: 'micronet.global.min.js (43,015 octets with the ping client, fragmentation on send and the ARP defences) + ' +
        'micronet-dns and the scenario exhaust the 72 KB heap: JerryScript stops with ERR_OUT_OF_MEMORY (exit 10); it passes with the 512 KB heap',
      holds: outOfMemory,
    },
    udp: {
      title: 'micronet.global.min.js (44,979 octets once several addresses per interface joined the full build; 43,015 ran) and ' +
        'the scenario\'s two stacks exhaust the 72 KB heap: an allocation fails (RangeError) or JerryScript stops with ' +
        'ERR_OUT_OF_MEMORY (exit 10); it passes with the 512 KB heap (a profile build such as udp-board leaves those features out)',
      holds: outOfMemory,
    },
    dgram: {
      title: 'micronet.global.min.js (the full build: 37,379 octets since 802.1Q, the EtherType hook, reassembly and ' +
        'fragmentation are in it) + micronet-dgram and the scenario\'s two stacks exhaust the 72 KB heap: an allocation fails ' +
        '(RangeError); it passes with the 512 KB heap (a profile build such as udp-board leaves those features out)',
      holds: outOfMemory,
    },
    tcp: {
      title: 'two stacks with micronet-tcp on each (micronet.global.min.js + micronet-tcp, 1,460-octet TCP buffers) exhaust the ' +
        '72 KB heap: the parser runs out of memory (exception null), or JerryScript stops with ERR_OUT_OF_MEMORY ' +
        '(exit 10); it passes with the 512 KB heap (one stack with TCP is what a board runs)',
      holds: outOfMemory,
    },
  },
}));

describeEngines(['jerry'], 'JerryScript, 512 KB heap', () => defineScenarioSuites('jerry', 'jerry (512 KB heap)', { only: ['dhcp', 'dns', 'dgram', 'tcp'] }));
