/**
 * Test helpers for Linux interop through the host tap bridge: gating on host requirements, and a
 * minimal hand-written ARP/ICMP responder that proves the tap plumbing independently of micronet.
 */
import { checkHostRequirements, sweepStaleNamespaces } from '../../src/host/netns';
import { describeWhen } from './prereq';

/** Why interop suites cannot run here, or null when they can. */
export function interopUnavailable(extraTools: string[] = ['ping']): string | null {
  const req = checkHostRequirements(extraTools);
  return req.ok ? null : req.reason;
}

/**
 * `describe` for suites that need root, ip, socat and /dev/net/tun (and `extraTools`). When something
 * is missing the suite is skipped with the reason, or fails with it under CI (test/helpers/prereq.ts).
 * Namespaces left by killed earlier runs are swept first.
 */
export function describeInterop(name: string, fn: () => void, extraTools: string[] = ['ping']): void {
  const reason = interopUnavailable(extraTools);
  if (reason === null) sweepStaleNamespaces('micronet');
  describeWhen(reason, name, fn);
}

/** Parses a dotted quad into 4 octets (test helper; no validation beyond the shape). */
export function ipBytes(s: string): number[] {
  return s.split('.').map(Number);
}

/** RFC 1071 ones' complement sum over buf[off..off+len), folded, not complemented. */
export function onesSum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < len; i += 2) sum += (buf[off + i] << 8) | buf[off + i + 1];
  if (len & 1) sum += buf[off + len - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Builds a UDP header + payload (RFC 768) from src to dst with the correct checksum over the IPv4
 * pseudo-header, or with `badChecksum` a checksum that is wrong (correct value + 1, never 0).
 */
export function buildUdp(src: string, dst: string, srcPort: number, dstPort: number, payload: Uint8Array, badChecksum = false): Uint8Array {
  const len = 8 + payload.length;
  const u = new Uint8Array(len);
  u[0] = srcPort >> 8; u[1] = srcPort & 255;
  u[2] = dstPort >> 8; u[3] = dstPort & 255;
  u[4] = len >> 8; u[5] = len & 255;
  u.set(payload, 8);
  const pseudo = new Uint8Array(12);
  pseudo.set(ipBytes(src), 0);
  pseudo.set(ipBytes(dst), 4);
  pseudo[9] = 17;
  pseudo[10] = len >> 8; pseudo[11] = len & 255;
  let ck = (~onesSum(u, 0, len, onesSum(pseudo, 0, 12))) & 0xffff;
  if (ck === 0) ck = 0xffff; // RFC 768: a computed zero is sent as all ones
  if (badChecksum) ck = ck === 0xffff ? 1 : ck + 1; // off by one in the sum, and not the 'no checksum' 0
  u[6] = ck >> 8; u[7] = ck & 255;
  return u;
}

/**
 * A hand-written peer that answers ARP requests (RFC 826) for `address` and ICMP echo requests
 * (RFC 792) to it — just enough to prove frames cross the tap bridge intact in both directions.
 * Feed it frames with `input`; it calls `send` with its replies. Counts what it saw.
 */
export class MiniResponder {
  arpRequests = 0;
  echoRequests = 0;
  other = 0;
  /** Length of every frame seen, in order. */
  lengths: number[] = [];
  /** Length of every echo request frame, in order. */
  echoLengths: number[] = [];
  private readonly ip: number[];

  constructor(readonly mac: Uint8Array, address: string, private readonly send: (frame: Uint8Array) => void) {
    this.ip = ipBytes(address);
  }

  input(f: Uint8Array): void {
    this.lengths.push(f.length);
    const type = (f[12] << 8) | f[13];
    if (type === 0x0806 && f.length >= 42 && f[21] === 1 && this.isMe(f, 38)) {
      this.arpRequests++;
      const r = new Uint8Array(42);
      r.set(f.subarray(6, 12), 0); // destination: the requester
      r.set(this.mac, 6);
      r[12] = 0x08; r[13] = 0x06;
      r.set([0, 1, 8, 0, 6, 4, 0, 2], 14); // Ethernet, IPv4, hlen 6, plen 4, op reply
      r.set(this.mac, 22);
      r.set(this.ip, 28);
      r.set(f.subarray(22, 32), 32); // target = requester's hardware + protocol address
      this.send(r);
      return;
    }
    if (type === 0x0800 && f.length >= 34 && f[23] === 1 && this.isMe(f, 30)) {
      const ihl = (f[14] & 15) * 4;
      const total = (f[16] << 8) | f[17];
      const icmp = 14 + ihl;
      if (f[icmp] === 8) {
        this.echoRequests++;
        this.echoLengths.push(f.length);
        const r = new Uint8Array(14 + total);
        r.set(f.subarray(0, 14 + total));
        r.set(f.subarray(6, 12), 0);
        r.set(this.mac, 6);
        r.set(f.subarray(30, 34), 26); // source = our address
        r.set(f.subarray(26, 30), 30); // destination = the requester
        r[22] = 64; // TTL
        r[24] = 0; r[25] = 0;
        const hck = (~onesSum(r, 14, ihl)) & 0xffff;
        r[24] = hck >> 8; r[25] = hck & 255;
        r[icmp] = 0; // echo reply
        r[icmp + 2] = 0; r[icmp + 3] = 0;
        const ck = (~onesSum(r, icmp, total - ihl)) & 0xffff;
        r[icmp + 2] = ck >> 8; r[icmp + 3] = ck & 255;
        this.send(r);
        return;
      }
    }
    this.other++;
  }

  private isMe(f: Uint8Array, off: number): boolean {
    return f[off] === this.ip[0] && f[off + 1] === this.ip[1] && f[off + 2] === this.ip[2] && f[off + 3] === this.ip[3];
  }
}
