/**
 * The frame ring: every frame buffer the stack will ever use, allocated once at createStack. Frames move between "free" and "in use" (being received, being answered, parked on ARP); a frame
 * taken must be given back exactly once. `free === size` whenever the stack is idle: tests check it.
 */
export class FrameRing {
  /** Number of frames, and octets in each. */
  readonly size: number;
  readonly frameSize: number;
  /**
   * Free frames (a stack: the most recently freed is reused first, which keeps caches warm); the first
   * `free` are free. Stack.poll lends pool[free - 1] to Device.receive and takes it only when a frame
   * arrived; everything else uses take() and give().
   */
  pool: Uint8Array[];
  /** Count of free frames. */
  free: number;
  /** Times a frame was wanted and none was free. */
  exhausted: number;

  constructor(size: number, frameSize: number) {
    this.size = size;
    this.frameSize = frameSize;
    this.pool = [];
    for (var i = 0; i < size; i++) this.pool.push(new Uint8Array(frameSize));
    this.free = size;
    this.exhausted = 0;
  }

  /** Takes a free frame (contents undefined), or returns null (and counts `exhausted`) when none is. */
  take(): Uint8Array | null {
    if (this.free === 0) { this.exhausted++; return null; }
    return this.pool[--this.free];
  }

  /** Gives a frame back. The caller must not use it afterwards. */
  give(frame: Uint8Array): void {
    if (this.free === this.size) { this.doubleGive++; return; }
    this.pool[this.free++] = frame;
  }
  /** Frames given back while the ring was already full: a stack bug, counted rather than thrown. */
  doubleGive = 0;
}
