/**
 * A loopback Device: every frame sent is received back on the next poll. For a 127.0.0.1 interface
 * (added with `arp: false`), for tests, and as the smallest example of a custom Device.
 */
import { Device } from './device';

/**
 * Creates a loopback device holding at most `depth` frames (default 4) of up to `frameSize` octets
 * (default 1518), allocated here once. A send beyond `depth` waiting frames returns false.
 */
export function createLoopback(depth?: number, frameSize?: number): Device & { dropped: number } {
  var n = depth || 4, size = frameSize || 1518;
  var bufs: Uint8Array[] = [], lens: number[] = [];
  for (var i = 0; i < n; i++) { bufs.push(new Uint8Array(size)); lens.push(0); }
  var head = 0, count = 0;
  var dev = {
    mac: new Uint8Array([0x02, 0, 0, 0, 0, 0x01]),
    dropped: 0,
    send: function (frame: Uint8Array, length: number): boolean {
      if (count === n || length > size) { dev.dropped++; return false; }
      var slot = (head + count) % n;
      bufs[slot].set(frame.subarray(0, length));
      lens[slot] = length;
      count++;
      return true;
    },
    receive: function (frame: Uint8Array): number {
      if (count === 0) return 0;
      var len = lens[head];
      frame.set(bufs[head].subarray(0, len));
      head = (head + 1) % n;
      count--;
      return len;
    },
  };
  return dev;
}
