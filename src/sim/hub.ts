/**
 * A virtual Ethernet LAN for simulations and tests (Node only; never shipped to boards).
 * A hub repeats every frame to every other attached port, like a shared 10BASE-T segment.
 * Delivery is synchronous: `transmit` calls each other port's `deliver` before it returns.
 */

/** One attachment to a hub: the hub calls `deliver` with a frame the port must copy if it keeps it. */
export interface WirePort {
  /** Called with frame[0..length) (no FCS). The frame is only valid during the call. */
  deliver(frame: Uint8Array, length: number): void;
}

export class Hub {
  private ports: WirePort[] = [];
  /** Frames repeated so far (each transmit counts once). */
  framesRepeated = 0;

  /** Attaches a port; returns a function the port calls to transmit onto the LAN. */
  attach(port: WirePort): (frame: Uint8Array, length: number) => void {
    this.ports.push(port);
    return (frame, length) => this.transmit(port, frame, length);
  }

  /** Detaches a port: it no longer receives frames. */
  detach(port: WirePort): void {
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
  }

  /** Repeats frame[0..length) to every port except `from`. */
  transmit(from: WirePort | null, frame: Uint8Array, length: number): void {
    this.framesRepeated++;
    for (const p of this.ports.slice()) if (p !== from) p.deliver(frame, length);
  }
}

/**
 * A Device attached directly to a hub with an unbounded-but-capped receive queue; the simplest
 * simulated NIC (what a test uses when it does not care about chip registers).
 */
export class HubDevice {
  readonly mac: Uint8Array;
  private queue: Uint8Array[] = [];
  private tx: (frame: Uint8Array, length: number) => void;
  /** Frames dropped because the receive queue held `queueLimit` frames. */
  overflows = 0;
  constructor(hub: Hub, mac: Uint8Array, public queueLimit = 64) {
    this.mac = mac;
    this.tx = hub.attach(this);
  }
  deliver(frame: Uint8Array, length: number): void {
    if (this.queue.length >= this.queueLimit) { this.overflows++; return; }
    this.queue.push(frame.slice(0, length));
  }
  receive(frame: Uint8Array): number {
    const f = this.queue.shift();
    if (!f) return 0;
    frame.set(f);
    return f.length;
  }
  send(frame: Uint8Array, length: number): boolean {
    this.tx(frame, length);
    return true;
  }
}
