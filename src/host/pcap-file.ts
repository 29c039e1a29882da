/**
 * A pcap sink that writes to a file on Node (Node only; never shipped to boards): pass `sink` to
 * `pcapWriter` (src/devices/pcap.ts). Writes are synchronous, so the file is complete after every frame
 * and can be read with `tshark -r <path>` while the program runs.
 */
import * as fs from 'fs';

/** Opens (truncates) `path`; `sink(chunk)` appends the chunk, `close()` closes the file (idempotent). */
export function pcapFile(path: string): { sink: (chunk: Uint8Array) => void; close: () => void; path: string } {
  let fd: number | null = fs.openSync(path, 'w');
  return {
    path,
    sink(chunk: Uint8Array): void {
      if (fd === null) throw new Error('pcapFile ' + path + ': already closed');
      fs.writeSync(fd, chunk, 0, chunk.length);
    },
    close(): void {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}
