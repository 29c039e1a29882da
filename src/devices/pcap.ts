/**
 * A pcap writer that composes around any Device and records every frame in the classic libpcap format
 * (board code, ES5). Format (all fields little-endian as written here; readers detect the byte order
 * from the magic number): "PCAP Capture File Format", IETF draft-ietf-opsawg-pcap §4–§5, and the
 * tcpdump.org link-layer header types list (LINKTYPE_ETHERNET = 1).
 *
 *   global header, 24 octets, written once when the writer is created:
 *     0 magic 0xA1B2C3D4 (microsecond timestamps)   4 version major 2   6 version minor 4
 *     8 reserved (thiszone) 0                       12 reserved (sigfigs) 0
 *     16 snaplen (default 65535)                    20 link type 1 (Ethernet)
 *   per frame, 16 octets then the captured octets:
 *     0 seconds   4 microseconds   8 captured length   12 original length (no FCS)
 *
 * The sink receives Uint8Array chunks: the global header, then one chunk per frame (record header and
 * frame together). A chunk is a view into the writer's own buffer, valid only during the call: the sink
 * must copy or write it out before returning. Sinks:
 *   Node:   src/host/pcap-file.ts `pcapFile(path)` (a file written synchronously);
 *   board:  var f = require("Storage").open("cap.pcap", "a");
 *           var eth = dbg.pcapWriter(driver, function (c) { f.write(E.toString(c)); }, { clock: Date.now });
 *           (StorageFile.write takes a string; E.toString turns the octets into one; read the file back
 *           with require("Storage").read or the IDE's storage view and open it with tshark -r / Wireshark);
 *   or any callback (send it over UDP, print it as hex, ...).
 * Timestamps come from the `clock` option in milliseconds (the core never reads a clock; give the same
 * time source as stack.poll). Memory: one buffer of 16 + min(snaplen, frameSize) octets, allocated here.
 */
import { forwardOptional } from './forward';
import type { Device } from '../drivers/device';

/** Options of `pcapWriter`. */
export interface PcapOptions {
  /** Milliseconds clock for the timestamps (ms since 1970 for wall-clock captures). Default Date.now. */
  clock?: () => number;
  /** Largest number of octets saved per frame (longer frames are cut; original length kept). Default 65535. */
  snaplen?: number;
  /** Largest frame expected, octets; sizes the record buffer. Default 1518. */
  frameSize?: number;
  /** Record received frames. Default true. */
  rx?: boolean;
  /** Record sent frames. Default true. */
  tx?: boolean;
}

/** The recording device: a Device plus counters. */
export interface PcapWriter extends Device {
  readonly device: Device;
  /** Records written, octets given to the sink (headers included), sink calls that threw. */
  stats(): { records: number; octets: number; sinkErrors: number };
}

/** Magic number of a microsecond-resolution capture. */
export var PCAP_MAGIC = 0xa1b2c3d4;
/** LINKTYPE_ETHERNET: IEEE 802.3 / Ethernet II frames, no FCS. */
export var LINKTYPE_ETHERNET = 1;

function put32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function put16le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

/**
 * Wraps `device`, gives the 24-octet global header to `sink` at once, and then one record per frame
 * received from or sent through the device. Throws an Error naming the argument when `device` is not a
 * Device, `sink` not a function, or snaplen/frameSize not an integer >= 14.
 */
export function pcapWriter(device: Device, sink: (chunk: Uint8Array) => void, options?: PcapOptions): PcapWriter {
  if (!device || typeof device.receive !== 'function' || typeof device.send !== 'function') {
    throw new Error('pcapWriter: device must have receive(frame) and send(frame, length)');
  }
  if (typeof sink !== 'function') throw new Error('pcapWriter: sink must be a function taking a Uint8Array');
  var o = options || {};
  var snaplen = o.snaplen === undefined ? 65535 : o.snaplen;
  var frameSize = o.frameSize === undefined ? 1518 : o.frameSize;
  if (typeof snaplen !== 'number' || !(snaplen >= 14) || Math.floor(snaplen) !== snaplen) throw new Error('pcapWriter: options.snaplen must be an integer >= 14');
  if (typeof frameSize !== 'number' || !(frameSize >= 14) || Math.floor(frameSize) !== frameSize) throw new Error('pcapWriter: options.frameSize must be an integer >= 14');
  var clock = o.clock || function (): number { return Date.now(); };
  var recRx = o.rx !== false, recTx = o.tx !== false;
  var cap = Math.min(snaplen, frameSize);
  var rec = new Uint8Array(16 + cap);
  var st = { records: 0, octets: 0, sinkErrors: 0 };

  function give(chunk: Uint8Array): void {
    st.octets += chunk.length;
    try {
      sink(chunk);
    } catch (e) {
      st.sinkErrors++;
    }
  }

  // Global header (draft-ietf-opsawg-pcap §4).
  var gh = rec.subarray(0, 24);
  put32le(gh, 0, PCAP_MAGIC);
  put16le(gh, 4, 2);
  put16le(gh, 6, 4);
  put32le(gh, 8, 0);
  put32le(gh, 12, 0);
  put32le(gh, 16, snaplen);
  put32le(gh, 20, LINKTYPE_ETHERNET);
  give(gh);

  /** One record (draft-ietf-opsawg-pcap §5). */
  function record(f: Uint8Array, n: number): void {
    var ms = clock();
    var sec = Math.floor(ms / 1000);
    var usec = Math.floor((ms - sec * 1000) * 1000);
    if (usec > 999999) usec = 999999;
    var c = n < cap ? n : cap;
    put32le(rec, 0, sec);
    put32le(rec, 4, usec);
    put32le(rec, 8, c);
    put32le(rec, 12, n);
    rec.set(c === f.length ? f : f.subarray(0, c), 16);
    st.records++;
    give(rec.subarray(0, 16 + c));
  }

  var dev: any = {
    mac: device.mac,
    device: device,
    receive: function (frame: Uint8Array): number {
      var n = device.receive(frame);
      if (n > 0 && recRx) record(frame, n);
      return n;
    },
    send: function (frame: Uint8Array, length: number): boolean {
      if (recTx) record(frame, length);
      return device.send(frame, length);
    },
    stats: function () { return st; },
  };
  return forwardOptional(dev, device, true) as PcapWriter;
}
