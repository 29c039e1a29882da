/**
 * micronet: a small IPv4 stack (Ethernet II, ARP, IPv4, ICMP, IGMP, UDP) for JavaScript microcontrollers.
 * Board scripts: `var micronet = require("micronet"); var stack = micronet.createStack();`
 * What a build holds is chosen in src/features.ts (profiles/*.json); `run` and `createLoopback` are
 * undefined in a build that leaves RUNNER or LOOPBACK out.
 */
import { RUNNER, LOOPBACK } from './features';
import { run as runner } from './runtime/runner';
import { createLoopback as loopback } from './drivers/loopback';

export var VERSION = '0.1.0';
export { createStack, Stack } from './stack/stack';
export { DEFAULTS } from './stack/config';
export { parseIPv4, formatIPv4, parseMac, formatMac } from './wire/addr';
export { checksum, onesSum, useFastSum } from './wire/checksum';
export { UDP_PAYLOAD_OFFSET, UDP_MAX_PAYLOAD } from './stack/output';
/** The runner (src/runtime/runner.ts): polls a stack from setWatch/setInterval. */
export var run = RUNNER ? runner : undefined;
/** A loopback Device (src/drivers/loopback.ts). */
export var createLoopback = LOOPBACK ? loopback : undefined;
