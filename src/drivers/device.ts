/**
 * The link-layer Device contract (docs/device.md) and the SPI bus shape the chip drivers talk to.
 * Every Device — chip driver, loopback, host tap bridge, simulated chip — has this shape.
 */

/**
 * A link-layer device that moves whole Ethernet II frames (header first, no FCS).
 * Frames are at most 1514 octets (14-octet header + 1500-octet payload).
 */
export interface Device {
  /** The 6-octet MAC address (hardware address) of the device. Read-only for the stack. */
  readonly mac: Uint8Array;
  /**
   * Copies the next received frame (Ethernet header first, no FCS) into `frame` from offset 0.
   * Returns its length in octets, or 0 when nothing is waiting. Never blocks.
   * The caller owns `frame`; the device must not keep it after returning.
   */
  receive(frame: Uint8Array): number;
  /**
   * Transmits frame[0..length) (Ethernet header first, no FCS; the device or chip pads to 60 octets).
   * Must not keep `frame` after it returns. Returns false if the frame could not be sent
   * (buffer full, link down, chip error); the stack counts that as a transmit drop.
   */
  send(frame: Uint8Array, length: number): boolean;
  /** Optional: link state (PHY), true when up. */
  linkUp?(): boolean;
  /**
   * Optional: the multicast MAC addresses to accept (each a 6-octet array), or null to accept all
   * multicast. An empty list accepts none (broadcast is always accepted).
   */
  setMulticast?(macs: Uint8Array[] | null): void;
  /** Optional: the device has verified the IPv4, UDP and TCP checksums of what it receives (the stack
   *  then skips them). Read once, when the interface is added. */
  rxChecksumOffload?: boolean;
  /** Optional: the device fills the IPv4, UDP and TCP checksums of what it sends (the stack writes 0). */
  txChecksumOffload?: boolean;
}

/** A pin as Espruino passes it: a Pin object on a board, any token in a simulation. */
export type Pin = any;

/**
 * What an SPI transfer takes, as Espruino's `SPI.send`/`SPI.write` (and `E.toUint8Array`) accept it: a
 * number (one octet), a typed array, an array whose items are any of these (flattened in order), or
 * `{data, count}` (`data` repeated `count` times). The drivers use `[opcode, {data: 0, count: n}]` to
 * read n octets and `[headerArray, frameView]` to write a command and a frame in one call without
 * copying them together.
 */
export type SpiData = number | Uint8Array | SpiData[] | { data: SpiData; count: number };

/**
 * An SPI bus shaped like Espruino's SPI object (docs/engines.md §3, docs/device.md).
 * `send` lowers CS, transfers `data` full duplex, raises CS and returns the bytes clocked in (a new
 * Uint8Array, one octet per octet sent). `write` does the same without read-back. One call is one
 * CS-low transaction.
 */
export interface SpiBus {
  send(data: SpiData, cs?: Pin): Uint8Array;
  write(data: SpiData, cs?: Pin): void;
}
