/** Helpers for the Device-wrapper tests: reading pcap files back with tshark. */
import { execFileSync } from 'child_process';
import { findExecutable } from '../../src/host/netns';
import { describeWhen, missingTool } from '../helpers/prereq';

/** Fields asked of tshark for every frame, in this order. */
export const TSHARK_FIELDS = [
  'frame.time_epoch', 'frame.len', 'frame.cap_len', 'eth.src', 'eth.dst', 'eth.type',
  'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ip.checksum.status',
  'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'icmp.checksum.status',
  'udp.srcport', 'udp.dstport', 'udp.length', 'udp.checksum.status', 'udp.payload',
] as const;

export type TsharkRow = Record<(typeof TSHARK_FIELDS)[number], string>;

/** Path of tshark, or null. */
export function tsharkPath(): string | null {
  return findExecutable('tshark');
}

/**
 * Decodes `file` with `tshark -r` (checksums verified) and returns one row per frame. Throws with
 * tshark's message when the file does not parse.
 */
export function tsharkRows(file: string): TsharkRow[] {
  const args = ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => {
    const cols = l.split('\t');
    const row: any = {};
    TSHARK_FIELDS.forEach((f, i) => { row[f] = cols[i] ?? ''; });
    return row as TsharkRow;
  });
}

/** `describe` that runs only where tshark is installed (CI installs it; locally: apt-get install tshark).
 *  Under CI a missing tshark fails the suite (test/helpers/prereq.ts). */
export function describeTshark(name: string, fn: () => void): void {
  describeWhen(missingTool('tshark'), name, fn);
}
