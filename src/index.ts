/**
 * micronet: a small IPv4 stack (Ethernet II, ARP, IPv4, ICMP, UDP) for JavaScript microcontrollers.
 * Board scripts: `var micronet = require("micronet"); var stack = micronet.createStack();`
 */
export var VERSION = '0.1.0';
export { createStack, Stack } from './stack/stack';
export { DEFAULTS } from './stack/config';
export { createLoopback } from './drivers/loopback';
export { parseIPv4, formatIPv4, parseMac, formatMac, multicastMac, isMulticast } from './wire/addr';
export { checksum, onesSum, useFastSum, pseudoHeaderSum } from './wire/checksum';
export { get16, put16, get32, put32 } from './wire/bytes';
export { UDP_PAYLOAD_OFFSET, UDP_MAX_PAYLOAD } from './stack/udp';
export { run } from './runtime/runner';
