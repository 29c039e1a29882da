/**
 * micronet-debug: Device wrappers for boards and hosts (docs/device.md):
 *   faultInjector(device, options)   seeded drop / bit flip / truncate / size / rate / duplicate / reorder
 *   tracer(device, print?, options)  one tcpdump-like line per frame
 *   pcapWriter(device, sink, options) classic pcap (Ethernet) records to a sink function
 * Compose them in any order, e.g. faultInjector(tracer(pcapWriter(driver, sink))): the pcap then holds
 * what the chip really moved, and the trace what the stack saw after the faults.
 * Shipped alone as `micronet-debug`; needs nothing from the core.
 */
export { faultInjector, FaultInjector, FaultInjectorOptions, FaultCounters } from './fault-injector';
export { tracer, describeFrame, Tracer, TracerOptions } from './tracer';
export { pcapWriter, PcapWriter, PcapOptions, PCAP_MAGIC, LINKTYPE_ETHERNET } from './pcap';
export { xorshift32 } from './prng';
