/**
 * A scripted host on a bench board's virtual LAN (test helper): answers ARP for its address, resolves
 * the board's MAC with an ARP request, pings it (ICMP echo, RFC 792) and records every frame it hears.
 * Frames are built and parsed with test/helpers/frames.ts, independently of micronet's code.
 */
import { Hub } from '../../src/sim/hub';
import { arpFrame, echoFrame, parseArp, parseEthernet, parseIcmp, parseIpFrame, ETHERTYPE_ARP, ETHERTYPE_IPV4, PROTO_ICMP } from '../helpers/frames';

export const SCRIPTED_IP = '192.0.2.1';
export const SCRIPTED_MAC = '02:00:00:00:00:01';

export class ScriptedHost {
  readonly heard: Uint8Array[] = [];
  private readonly tx: (f: Uint8Array, n: number) => void;
  private outbox: Uint8Array[] = [];

  constructor(readonly hub: Hub) {
    this.tx = hub.attach(this);
  }

  deliver(frame: Uint8Array, length: number): void {
    const f = frame.slice(0, length);
    this.heard.push(f);
    const eth = parseEthernet(f);
    if (eth.type === ETHERTYPE_ARP) {
      const a = parseArp(eth.payload);
      if (a.op === 1 && a.tpa === SCRIPTED_IP) {
        // Reply later, not from inside the sender's SPI transaction.
        this.outbox.push(arpFrame({ op: 2, sha: SCRIPTED_MAC, spa: SCRIPTED_IP, tha: a.sha, tpa: a.spa, ethDst: a.sha, ethSrc: SCRIPTED_MAC }));
      }
    }
  }

  /** Sends what is waiting (call from the board's tick hook). */
  flush(): void {
    const out = this.outbox;
    this.outbox = [];
    for (const f of out) this.tx(f, f.length);
  }

  send(f: Uint8Array): void {
    this.outbox.push(f);
  }

  /** ARP request for `ip` (who-has); the answer is found with `arpReplyFrom`. */
  whoHas(ip: string): void {
    this.send(arpFrame({ op: 1, sha: SCRIPTED_MAC, spa: SCRIPTED_IP, tha: '00:00:00:00:00:00', tpa: ip, ethSrc: SCRIPTED_MAC }));
  }

  /** The hardware address in an ARP reply from `ip` to us, or null. */
  arpReplyFrom(ip: string): string | null {
    for (const f of this.heard) {
      const eth = parseEthernet(f);
      if (eth.type !== ETHERTYPE_ARP) continue;
      const a = parseArp(eth.payload);
      if (a.op === 2 && a.spa === ip && a.tpa === SCRIPTED_IP && eth.dst === SCRIPTED_MAC) return a.sha;
    }
    return null;
  }

  ping(ip: string, mac: string, id: number, seq: number, data: Uint8Array): void {
    const f = echoFrame({ id, seq, data, src: SCRIPTED_IP, dst: ip, ethDst: mac });
    f.set([2, 0, 0, 0, 0, 1], 6); // our MAC as the source (echoFrame uses the helper's PEER_MAC)
    this.send(f);
  }

  /** Echo replies from `ip` to us: {id, seq, data, checksumOk (ICMP and IPv4 header)}. */
  echoReplies(ip: string): Array<{ id: number; seq: number; data: Uint8Array; checksumOk: boolean }> {
    const out: Array<{ id: number; seq: number; data: Uint8Array; checksumOk: boolean }> = [];
    for (const f of this.heard) {
      if (parseEthernet(f).type !== ETHERTYPE_IPV4) continue;
      const { ip: h } = parseIpFrame(f);
      if (h.protocol !== PROTO_ICMP || h.src !== ip || h.dst !== SCRIPTED_IP) continue;
      const m = parseIcmp(h.payload);
      if (m.type !== 0) continue;
      const id = (h.payload[4] << 8) | h.payload[5];
      const seq = (h.payload[6] << 8) | h.payload[7];
      out.push({ id, seq, data: h.payload.subarray(8), checksumOk: m.checksumOk && h.checksumOk });
    }
    return out;
  }
}
