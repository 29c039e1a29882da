/**
 * A register-level simulated ENC28J60 behind a mock SPI bus (Node only; never shipped to boards).
 * Behaviour follows the datasheet DS39662E sections and the errata DS80349 items cited inline;
 * where neither settles a behaviour, the choice made here is marked GUESS.
 *
 *   const hub = new Hub();
 *   const sim = new Enc28j60Sim();
 *   sim.attach(hub);                                   // wire side: frames to and from the LAN
 *   const eth = connect(sim.spi, 'CS', { delayMs: sim.delayMs });
 *
 * SPI side: `sim.spi.send(data, cs)` / `sim.spi.write(data, cs)` are one CS-low transaction each, run
 * through a byte state machine (opcode, argument, data octets) that restarts when CS rises.
 * Time: simulated microseconds (`sim.nowUs`) advance by 8 bits / `baud` for every SPI octet, plus
 * `csOverheadUs` per transaction, and by `advance(us)`/`delayMs(ms)`; or, with the `clock` option, they
 * follow that clock alone (a bench board's loop). MII operations (10.24 µs),
 * transmissions (0.8 µs per octet on a 10 Mb/s wire) and scheduled link changes complete when the time
 * passes them.
 * Wire side: `deliver(frame, length)` is a frame arriving from the wire (no FCS; the sim pads it to 60
 * octets and appends the FCS, as the sending MAC would); transmitted frames go to `attach`ed hub or to the
 * function given to `setWire`, without FCS.
 * Driver bugs the chip would silently misbehave on (BFS/BFC on MAC/MII registers, an RCR of a MAC/MII
 * register without the dummy octet, even ERXRDPT, access during the 1 ms after SRC, ...) are counted in
 * `driverErrors` with a message in `driverErrorLog`.
 */
import type { Hub, WirePort } from './hub';
import type { SpiData } from '../drivers/device';
import { spiOctets } from './spi';

/** Errata behaviours that can be switched on (all off by default). */
export interface Enc28j60Errata {
  /** Errata 14: while ERXRDPT is even, a received packet's next-packet pointer is written corrupted. */
  evenRdptCorruption: boolean;
  /** Errata 12: after an aborted transmission TXRTS stays set (and no new send starts) until TXRST. */
  txrtsStuckAfterAbort: boolean;
  /** Errata 6 (DS80349): PKTIF is not set for every second received packet. */
  unreliablePktif: boolean;
  /** Rev B7 errata: writing ERXST sets ERXWRPT to 0x0000 instead of ERXST. */
  erxwrptZeroOnErxstWrite: boolean;
}

/** Fault knobs: counts of upcoming events to spoil (each use decrements it). */
export interface Enc28j60Faults {
  /** Next N arriving frames are dropped as if the ring were full (RXERIF set). */
  rxOverflow: number;
  /** Next N arriving frames get a bad FCS (RSV bit 20; dropped by ERXFCON.CRCEN). */
  badFcs: number;
  /** Next N transmissions abort (excessive collisions: TSV bit 28, TXERIF, ESTAT.TXABRT). */
  txAbort: number;
  /** Next N transmissions abort with a late collision (TSV bit 29, ESTAT.LATECOL). */
  lateCollision: number;
  /** Status bits 16–31 to set (`set`) and clear (`clear`) in the next stored packet's RSV, or null. */
  rsv: { set: number; clear: number } | null;
}

export interface Enc28j60SimOptions {
  /** SPI clock in bits per second; sets how fast simulated time passes per octet. Default 8 MHz. */
  baud?: number;
  /** Simulated time added per SPI transaction (CS handling, call overhead), µs. Default 0. */
  csOverheadUs?: number;
  /** EREVID value. Default 0x06 (Rev B7). */
  revision?: number;
  /** Link state at start. Default true. */
  linkUp?: boolean;
  /** When set, the chip is absent: MISO reads this value (0x00 or 0xFF) for every octet. */
  absentMiso?: number;
  /** The chip's time source, µs (monotonic). When given, the chip's time is this clock's and nothing
   *  else moves it: SPI octets, `advance` and `delayMs` add nothing, and every SPI transaction, `deliver`
   *  and `advance` call first catches up with it. For a bench board, whose loop owns the time (the
   *  board charges SPI transfers to its own clock), so the chip never runs ahead of the board. Default:
   *  the chip keeps its own time, moved by SPI octets (8 bits / `baud`), `advance` and `delayMs`. */
  clock?: () => number;
}

/** One transmitted frame as seen on the wire (for tests). */
export interface SimTxRecord { frame: Uint8Array; aborted: boolean; lateCollision: boolean }

// Register addresses (bank*32 + address), written from DS Table 3-2 independently of the driver's map.
const B0 = 0, B1 = 32, B2 = 64, B3 = 96;
const A = {
  ERDPTL: B0 + 0x00, ERDPTH: B0 + 0x01, EWRPTL: B0 + 0x02, EWRPTH: B0 + 0x03, ETXSTL: B0 + 0x04, ETXSTH: B0 + 0x05,
  ETXNDL: B0 + 0x06, ETXNDH: B0 + 0x07, ERXSTL: B0 + 0x08, ERXSTH: B0 + 0x09, ERXNDL: B0 + 0x0a, ERXNDH: B0 + 0x0b,
  ERXRDPTL: B0 + 0x0c, ERXRDPTH: B0 + 0x0d, ERXWRPTL: B0 + 0x0e, ERXWRPTH: B0 + 0x0f, EDMASTL: B0 + 0x10,
  EDMANDL: B0 + 0x12, EDMADSTL: B0 + 0x14, EDMACSL: B0 + 0x16, EDMACSH: B0 + 0x17,
  EHT0: B1 + 0x00, EPMM0: B1 + 0x08, EPMCSL: B1 + 0x10, EPMCSH: B1 + 0x11, EPMOL: B1 + 0x14, EPMOH: B1 + 0x15,
  ERXFCON: B1 + 0x18, EPKTCNT: B1 + 0x19,
  MACON1: B2 + 0x00, MACON3: B2 + 0x02, MACON4: B2 + 0x03, MABBIPG: B2 + 0x04, MAIPGL: B2 + 0x06, MAIPGH: B2 + 0x07,
  MACLCON1: B2 + 0x08, MACLCON2: B2 + 0x09, MAMXFLL: B2 + 0x0a, MAMXFLH: B2 + 0x0b, MICMD: B2 + 0x12,
  MIREGADR: B2 + 0x14, MIWRL: B2 + 0x16, MIWRH: B2 + 0x17, MIRDL: B2 + 0x18, MIRDH: B2 + 0x19,
  MAADR5: B3 + 0x00, MAADR6: B3 + 0x01, MAADR3: B3 + 0x02, MAADR4: B3 + 0x03, MAADR1: B3 + 0x04, MAADR2: B3 + 0x05,
  MISTAT: B3 + 0x0a, EREVID: B3 + 0x12, ECOCON: B3 + 0x15, EFLOCON: B3 + 0x17, EPAUSL: B3 + 0x18, EPAUSH: B3 + 0x19,
};
const EIE = 0x1b, EIR = 0x1c, ESTAT = 0x1d, ECON2 = 0x1e, ECON1 = 0x1f;
// Bits (DS §3)
const ECON1_TXRST = 0x80, ECON1_RXRST = 0x40, ECON1_DMAST = 0x20, ECON1_CSUMEN = 0x10, ECON1_TXRTS = 0x08, ECON1_RXEN = 0x04;
const ECON2_AUTOINC = 0x80, ECON2_PKTDEC = 0x40;
const ESTAT_INT = 0x80, ESTAT_LATECOL = 0x10, ESTAT_TXABRT = 0x02, ESTAT_CLKRDY = 0x01;
const EIR_PKTIF = 0x40, EIR_DMAIF = 0x20, EIR_LINKIF = 0x10, EIR_TXIF = 0x08, EIR_TXERIF = 0x02, EIR_RXERIF = 0x01;
const EIR_WRITABLE = EIR_DMAIF | EIR_TXIF | EIR_TXERIF | EIR_RXERIF;
const EIE_INTIE = 0x80;
const MACON1_MARXEN = 0x01;
const MACON3_TXCRCEN = 0x10, MACON3_HFRMEN = 0x04, MACON3_FRMLNEN = 0x02, MACON3_FULDPX = 0x01;
const MICMD_MIISCAN = 0x02, MICMD_MIIRD = 0x01;
const MISTAT_NVALID = 0x04, MISTAT_SCAN = 0x02, MISTAT_BUSY = 0x01;
const F_UCEN = 0x80, F_ANDOR = 0x40, F_CRCEN = 0x20, F_PMEN = 0x10, F_MPEN = 0x08, F_HTEN = 0x04, F_MCEN = 0x02, F_BCEN = 0x01;
const CTRL_PHUGEEN = 0x08, CTRL_PPADEN = 0x04, CTRL_PCRCEN = 0x02, CTRL_POVERRIDE = 0x01;
// PHY
const PHCON1 = 0x00, PHSTAT1 = 0x01, PHID1 = 0x02, PHID2 = 0x03, PHCON2 = 0x10, PHSTAT2 = 0x11, PHIE = 0x12, PHIR = 0x13, PHLCON = 0x14;
const PHCON1_PRST = 0x8000, PHCON1_PDPXMD = 0x0100, PHSTAT1_LLSTAT = 0x0004, PHCON2_HDLDIS = 0x0100;
const PHSTAT2_LSTAT = 0x0400, PHSTAT2_DPXSTAT = 0x0200, PHIE_PGEIE = 0x0002, PHIE_PLNKIE = 0x0010;
const PHIR_PLNKIF = 0x0010, PHIR_PGIF = 0x0004;

/** MII operation time, µs (DS §3.3.1). */
export const MII_BUSY_US = 10.24;
/** Time after SRC during which only ESTAT may be read (errata: CLKRDY unreliable; DS39662E §6). */
export const RESET_HOLD_US = 1000;
/** One octet on a 10 Mb/s wire, µs. */
const WIRE_US_PER_OCTET = 0.8;
const MEM_SIZE = 8192;

/** True for bank 2 0x00–0x19 and bank 3 0x00–0x05, 0x0A (MAC/MII registers; DS39662E §4.2). */
function isMacMii(bank: number, addr: number): boolean {
  if (addr >= 0x1b) return false;
  if (bank === 2) return addr <= 0x19;
  if (bank === 3) return addr <= 0x05 || addr === 0x0a;
  return false;
}

let crcTable: Uint32Array | null = null;
/** IEEE 802.3 FCS (reflected CRC-32, as it is sent on the wire). */
export function fcs32(buf: Uint8Array, off: number, len: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < len; i++) c = crcTable[(c ^ buf[off + i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Hash-table bit (0–63) of a destination address (DS §8.3): shift-left CRC-32,
 *  preset all ones, data bits least significant first, no final XOR; bits 28:23. */
export function simHashIndex(da: Uint8Array, off = 0): number {
  let crc = 0xffffffff;
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 8; j++) {
      const bit = (da[off + i] >> j) & 1;
      const top = crc >>> 31;
      crc = (crc << 1) >>> 0;
      if (top ^ bit) crc = (crc ^ 0x04c11db7) >>> 0;
    }
  }
  return (crc >>> 23) & 0x3f;
}

export class Enc28j60Sim implements WirePort {
  /** The mock SPI bus (Espruino's SPI shape). `cs` is accepted and ignored. */
  readonly spi: { send(data: SpiData | number[], cs?: unknown): Uint8Array; write(data: SpiData | number[], cs?: unknown): void };
  /** Advances simulated time by `ms` milliseconds (pass as the driver's `delayMs` option). */
  readonly delayMs: (ms: number) => void;
  /** The 8 KB buffer memory. */
  readonly mem = new Uint8Array(MEM_SIZE);
  /** Simulated time, µs. */
  nowUs = 0;
  baud: number;
  csOverheadUs: number;
  revision: number;
  absentMiso: number | null;
  readonly errata: Enc28j60Errata = { evenRdptCorruption: false, txrtsStuckAfterAbort: false, unreliablePktif: false, erxwrptZeroOnErxstWrite: false };
  readonly faults: Enc28j60Faults = { rxOverflow: 0, badFcs: 0, txAbort: 0, lateCollision: 0, rsv: null };
  /** Driver mistakes seen (see the file comment); tests assert it stays 0. */
  driverErrors = 0;
  readonly driverErrorLog: string[] = [];
  /** SPI traffic: transactions (= send + write calls), octets clocked, by call kind. */
  readonly spiStats = { transactions: 0, sends: 0, writes: 0, octets: 0 };
  /** Receive-side counters of the chip model. */
  readonly rxStats = { arrived: 0, stored: 0, filtered: 0, overflow: 0, disabled: 0, noLink: 0, tooLong: 0 };
  /** Transmissions completed (good and aborted), most recent last; capped at `txLogLimit`. */
  readonly txLog: SimTxRecord[] = [];
  txLogLimit = 64;
  txCount = 0;
  /** Resets seen: SRC commands and `pulseReset` calls (power-on at construction not counted). */
  resets = 0;
  /** Called for every SPI transaction with its MOSI octets (for tests and tracers). */
  onTransaction: ((mosi: Uint8Array, kind: 'send' | 'write') => void) | null = null;

  private regs = new Uint8Array(128); // bank*32 + addr; common registers live at bank 0
  private phy = new Uint16Array(32);
  private epktcnt = 0;
  private rdptLatchL = 0;
  private resetAt = -Infinity;
  /** A µs clock on which the hold after SRC is judged, when the driver's clock is not the chip's: a
   *  bench board on a real interpreter, whose unanswered SPI writes Node reads late (src/host/board-engine.ts). */
  holdClock: (() => number) | null = null;
  private link: boolean;
  private linkUpAtUs = -1;
  private miiDoneUs = -1;
  private miiWrite = false;
  private txDoneUs = -1;
  private txStuck = false;
  private arrivals = 0;
  private intLevel = 1;
  private intListeners: ((level: number) => void)[] = [];
  private wire: ((frame: Uint8Array, length: number) => void) | null = null;
  private hub: Hub | null = null;
  // SPI byte state machine
  private smPos = 0;
  private smOp = 0;
  private smArg = 0;
  private timeSource: (() => number) | null;
  /** A transmission aborted since the last TXRST (errata 12: clearing TXRST then raises TXERIF). */
  private txAbortSinceReset = false;

  constructor(options: Enc28j60SimOptions = {}) {
    this.timeSource = options.clock ?? null;
    this.baud = options.baud ?? 8e6;
    this.csOverheadUs = options.csOverheadUs ?? 0;
    this.revision = options.revision ?? 0x06;
    this.absentMiso = options.absentMiso ?? null;
    this.link = options.linkUp ?? true;
    this.powerOnReset();
    this.spi = {
      send: (data, _cs) => this.transaction(data, 'send') as Uint8Array,
      write: (data, _cs) => { this.transaction(data, 'write'); },
    };
    this.delayMs = (ms: number) => this.advance(ms * 1000);
  }

  // ------------------------------------------------------------------ wire side

  /** Attaches the wire side to a hub; returns the hub's transmit function for this port. */
  attach(hub: Hub): (frame: Uint8Array, length: number) => void {
    this.hub = hub;
    const tx = hub.attach(this);
    this.wire = tx;
    return tx;
  }

  /** Detaches from the hub given to `attach`. */
  detach(): void {
    if (this.hub) this.hub.detach(this);
    this.hub = null;
    this.wire = null;
  }

  /** Sends transmitted frames to `fn` instead of a hub (e.g. a tap bridge); null disconnects. */
  setWire(fn: ((frame: Uint8Array, length: number) => void) | null): void {
    this.wire = fn;
  }

  /** A frame arrives from the wire: frame[0..length), no FCS. Copied if stored. */
  deliver(frame: Uint8Array, length: number): void {
    this.sync();
    this.runEvents();
    this.receiveFrame(frame, length);
  }

  // ------------------------------------------------------------------ time, pins, link

  /** Advances simulated time by `us` microseconds, completing what falls due. */
  advance(us: number): void {
    if (this.timeSource) this.sync();
    else this.nowUs += us;
    this.runEvents();
  }

  /** With an external clock: catches up with it (never moves time backwards). */
  private sync(): void {
    if (!this.timeSource) return;
    const t = this.timeSource();
    if (t > this.nowUs) this.nowUs = t;
  }

  /** Level of the INT pin (active low: 0 = interrupt pending). */
  get int(): number {
    return this.intLevel;
  }

  /** Calls `fn(level)` whenever the INT pin changes (for a bench board's setWatch). Returns a remover. */
  onInt(fn: (level: number) => void): () => void {
    this.intListeners.push(fn);
    return () => { const i = this.intListeners.indexOf(fn); if (i >= 0) this.intListeners.splice(i, 1); };
  }

  get linkUp(): boolean {
    return this.link;
  }

  /** Plugs or unplugs the cable (DS39662E §3.3). */
  setLink(up: boolean): void {
    this.linkUpAtUs = -1;
    if (up === this.link) return;
    this.link = up;
    if (up) this.phy[PHSTAT2] |= PHSTAT2_LSTAT;
    else {
      this.phy[PHSTAT2] &= ~PHSTAT2_LSTAT;
      this.phy[PHSTAT1] &= ~PHSTAT1_LLSTAT; // latches low
    }
    this.phy[PHIR] |= PHIR_PLNKIF | PHIR_PGIF;
    // GUESS: EIR.LINKIF follows PHIR when PHIE enables both PGEIE and PLNKIE.
    if ((this.phy[PHIE] & (PHIE_PGEIE | PHIE_PLNKIE)) === (PHIE_PGEIE | PHIE_PLNKIE)) this.regs[EIR] |= EIR_LINKIF;
    this.updateInt();
  }

  /** Link goes down now and comes back after `downUs` of simulated time. */
  linkFlap(downUs: number): void {
    this.setLink(false);
    this.linkUpAtUs = this.nowUs + downUs;
  }

  /** The RESET pin pulsed low, or a brown-out (DS §11): the same as an SRC here — registers and PHY
   *  return to their reset values and the 1 ms start-up hold begins (GUESS: the pin resets like SRC;
   *  buffer memory is kept, as for SRC). Not an SPI transaction. Counted in `resets`. */
  pulseReset(): void {
    this.systemReset();
  }

  /** EPKTCNT (for tests). */
  get packetCount(): number {
    return this.epktcnt;
  }

  /** A control register value by bank and address, without side effects (for tests). */
  peekReg(bank: number, addr: number): number {
    return this.readReg(bank, addr, false);
  }

  /** A PHY register value (for tests). */
  peekPhy(reg: number): number {
    return this.phy[reg];
  }

  // ------------------------------------------------------------------ SPI

  private transaction(data: SpiData | number[], kind: 'send' | 'write'): Uint8Array | void {
    const mosi = spiOctets(data);
    const n = mosi.length;
    this.spiStats.transactions++;
    this.spiStats.octets += n;
    if (kind === 'send') this.spiStats.sends++;
    else this.spiStats.writes++;
    if (this.onTransaction) this.onTransaction(mosi, kind);
    if (this.timeSource) this.sync();
    else this.nowUs += this.csOverheadUs;
    this.runEvents();
    const out = kind === 'send' ? new Uint8Array(n) : null;
    const usPerOctet = this.timeSource ? 0 : 8e6 / this.baud;
    this.csLow();
    for (let i = 0; i < n; i++) {
      const r = this.clock(mosi[i]);
      if (out) out[i] = this.absentMiso !== null ? this.absentMiso : r;
      this.nowUs += usPerOctet;
    }
    this.csHigh();
    this.runEvents();
    if (out) return out;
  }

  private csLow(): void {
    this.smPos = 0;
  }

  private driverError(msg: string): void {
    this.driverErrors++;
    if (this.driverErrorLog.length < 100) this.driverErrorLog.push(msg);
  }

  private get bank(): number {
    return this.regs[ECON1] & 3;
  }

  /** One octet on the bus: MOSI in, MISO out (DS §4.2). */
  private clock(b: number): number {
    const pos = this.smPos++;
    if (pos === 0) {
      this.smOp = b >> 5;
      this.smArg = b & 0x1f;
      if (this.absentMiso !== null) return 0;
      const held = (this.holdClock ? this.holdClock() : this.nowUs) - this.resetAt;
      if (held < RESET_HOLD_US && !(this.smOp === 0 && this.smArg === ESTAT) && b !== 0xff) {
        this.driverError(`SPI command 0x${b.toString(16)} ${held.toFixed(1)} µs after SRC (wait 1 ms)`);
      }
      if (b === 0xff) this.systemReset();
      else if (this.smOp === 6 || (this.smOp === 7) || ((this.smOp === 1 || this.smOp === 3) && this.smArg !== 0x1a)) {
        this.driverError(`undefined SPI opcode 0x${b.toString(16)}`);
      }
      return 0;
    }
    if (this.absentMiso !== null) return 0;
    const bank = this.bank;
    const arg = this.smArg;
    switch (this.smOp) {
      case 0: { // RCR
        if (isMacMii(bank, arg) && pos === 1) return 0xff; // dummy octet, undefined data
        return this.readReg(bank, arg, true);
      }
      case 1: { // RBM
        if (arg !== 0x1a) return 0;
        const p = this.get16(A.ERDPTL);
        const v = this.mem[p];
        if (this.regs[ECON2] & ECON2_AUTOINC) {
          const nd = this.get16(A.ERXNDL);
          this.set16(A.ERDPTL, p === nd ? this.get16(A.ERXSTL) : (p + 1) & 0x1fff);
        }
        return v;
      }
      case 2: // WCR
        if (pos === 1) this.writeReg(bank, arg, b, 'wcr');
        else if (pos === 2) this.driverError(`WCR to ${bank}:${arg.toString(16)} longer than one data octet`);
        return 0;
      case 3: { // WBM
        if (arg !== 0x1a) return 0;
        const p = this.get16(A.EWRPTL);
        this.mem[p] = b;
        if (this.regs[ECON2] & ECON2_AUTOINC) this.set16(A.EWRPTL, (p + 1) & 0x1fff);
        return 0;
      }
      case 4: // BFS
      case 5: // BFC
        if (pos === 1) {
          if (isMacMii(bank, arg)) {
            this.driverError(`${this.smOp === 4 ? 'BFS' : 'BFC'} on MAC/MII register ${bank}:0x${arg.toString(16)} (ETH registers only)`);
            return 0;
          }
          const old = this.readReg(bank, arg, false);
          this.writeReg(bank, arg, this.smOp === 4 ? old | b : old & ~b, this.smOp === 4 ? 'bfs' : 'bfc', b);
        }
        return 0;
      default:
        return 0;
    }
  }

  private csHigh(): void {
    if (this.absentMiso !== null) return;
    if (this.smPos === 0) return;
    const bank = this.bank;
    if (this.smOp === 0 && isMacMii(bank, this.smArg) && this.smPos < 3) {
      this.driverError(`RCR of MAC/MII register ${bank}:0x${this.smArg.toString(16)} ended before the data octet (dummy octet missing)`);
    }
    if ((this.smOp === 2 || this.smOp === 4 || this.smOp === 5) && this.smPos < 2) this.driverError('register write without a data octet');
  }

  // ------------------------------------------------------------------ registers

  private idx(bank: number, addr: number): number {
    return addr >= 0x1b ? addr : bank * 32 + addr;
  }

  private get16(i: number): number {
    return this.regs[i] | ((this.regs[i + 1] & 0x1f) << 8);
  }

  private set16(i: number, v: number): void {
    this.regs[i] = v & 0xff;
    this.regs[i + 1] = (v >> 8) & 0x1f;
  }

  private readReg(bank: number, addr: number, live: boolean): number {
    const i = this.idx(bank, addr);
    switch (i) {
      case EIR:
        return this.regs[EIR];
      case ESTAT: {
        // GUESS: ESTAT.INT ignores INTIE (DS39662E §12).
        let v = this.regs[ESTAT] & ~ESTAT_INT;
        if (this.regs[EIR] & this.regs[EIE] & 0x7b) v |= ESTAT_INT;
        return v;
      }
      case ECON2:
        return this.regs[ECON2] & ~ECON2_PKTDEC;
      case A.EPKTCNT:
        return this.epktcnt;
      case A.EREVID:
        return this.revision;
      case A.MISTAT: {
        let v = this.regs[A.MISTAT] & ~MISTAT_BUSY;
        if (this.miiDoneUs >= 0 || this.regs[A.MICMD] & MICMD_MIISCAN) v |= MISTAT_BUSY;
        return v;
      }
      case A.MIRDL:
      case A.MIRDH:
        if (live && this.miiDoneUs >= 0 && !(this.regs[A.MICMD] & MICMD_MIISCAN)) this.driverError('MIRD read while MISTAT.BUSY is set');
        if (this.regs[A.MICMD] & MICMD_MIISCAN) {
          const v = this.phy[this.regs[A.MIREGADR] & 0x1f];
          return i === A.MIRDL ? v & 0xff : v >> 8;
        }
        return this.regs[i];
      default:
        return this.regs[i];
    }
  }

  /** `v` is the register's new value; for BFS/BFC `mask` is the command's bit mask. */
  private writeReg(bank: number, addr: number, v: number, how: 'wcr' | 'bfs' | 'bfc', mask = 0): void {
    const i = this.idx(bank, addr);
    const old = this.regs[i];
    const rxen = (this.regs[ECON1] & ECON1_RXEN) !== 0;
    switch (i) {
      case ECON1:
        this.writeEcon1(old, v);
        return;
      case ECON2:
        this.regs[ECON2] = v & ~ECON2_PKTDEC;
        if (v & ECON2_PKTDEC) {
          if (this.epktcnt === 0) this.driverError('PKTDEC with EPKTCNT = 0');
          else this.epktcnt--;
          if (this.epktcnt === 0) this.regs[EIR] &= ~EIR_PKTIF; // DS p.45
          this.updateInt();
        }
        return;
      case EIR:
        // Only DMAIF, TXIF, TXERIF and RXERIF are writable (DS39662E §3). GUESS: BFS may set them.
        this.regs[EIR] = (old & ~EIR_WRITABLE) | (v & EIR_WRITABLE);
        this.updateInt();
        return;
      case ESTAT:
        // The datasheet's ESTAT register description: BUFER and TXABRT are R/C (software clears them with BFC); INT,
        // LATECOL, RXBUSY and CLKRDY are read-only. A BFC naming a read-only bit is a driver bug (the
        // chip ignores that part). LATECOL is cleared by the chip when a new transmission starts
        // (GUESS, see docs/simulator-guesses.md).
        if (how !== 'bfc') { this.driverError(`${how.toUpperCase()} to ESTAT (only BFC of BUFER/TXABRT is allowed)`); return; }
        if (mask & ~(ESTAT_TXABRT | 0x40)) this.driverError(`BFC of read-only ESTAT bits 0x${(mask & ~(ESTAT_TXABRT | 0x40)).toString(16)} (LATECOL, INT, RXBUSY and CLKRDY are read-only)`);
        this.regs[ESTAT] = old & ~(mask & (ESTAT_TXABRT | 0x40));
        return;
      case EIE:
        this.regs[EIE] = v;
        this.updateInt();
        return;
      case A.ERXWRPTL:
      case A.ERXWRPTH:
      case A.EPKTCNT:
      case A.EREVID:
      case A.MISTAT:
      case A.MIRDL:
      case A.MIRDH:
        this.driverError(`write to read-only register ${bank}:0x${addr.toString(16)}`);
        return;
      case A.ERXSTL:
      case A.ERXSTH:
      case A.ERXNDL:
      case A.ERXNDH:
        if (rxen) this.driverError('ERXST/ERXND changed while RXEN = 1 (DS §6.1)');
        this.regs[i] = i & 1 ? v & 0x1f : v;
        if (i === A.ERXSTL || i === A.ERXSTH) {
          // Writing ERXST moves ERXWRPT to it; B7 errata: sometimes to 0 (DS39662E §7.2).
          this.set16(A.ERXWRPTL, this.errata.erxwrptZeroOnErxstWrite ? 0 : this.get16(A.ERXSTL));
        }
        return;
      case A.ERXRDPTL:
        this.rdptLatchL = v; // latched; committed by the ERXRDPTH write (DS §7.2.4)
        return;
      case A.ERXRDPTH: {
        this.regs[A.ERXRDPTL] = this.rdptLatchL;
        this.regs[A.ERXRDPTH] = v & 0x1f;
        const rd = this.get16(A.ERXRDPTL);
        if (!(rd & 1)) this.driverError(`even ERXRDPT 0x${rd.toString(16)} (errata 14: program an odd value)`);
        return;
      }
      case A.ERXFCON:
        if (rxen) this.driverError('ERXFCON changed while RXEN = 1 (DS §8.1)');
        this.regs[i] = v;
        return;
      case A.MAADR1: case A.MAADR2: case A.MAADR3: case A.MAADR4: case A.MAADR5: case A.MAADR6:
        if (rxen) this.driverError('MAADR changed while RXEN = 1 (DS §8.1)');
        this.regs[i] = v;
        return;
      case A.MICMD:
        if (this.miiDoneUs >= 0) this.driverError('MICMD written while MISTAT.BUSY is set');
        this.regs[i] = v & 3;
        if (v & MICMD_MIIRD && !(old & MICMD_MIIRD)) { this.miiDoneUs = this.nowUs + MII_BUSY_US; this.miiWrite = false; }
        if (v & MICMD_MIISCAN) this.regs[A.MISTAT] |= MISTAT_SCAN;
        else this.regs[A.MISTAT] &= ~MISTAT_SCAN;
        return;
      case A.MIREGADR:
      case A.MIWRL:
        if (this.miiDoneUs >= 0) this.driverError('MII register written while MISTAT.BUSY is set');
        this.regs[i] = v;
        return;
      case A.MIWRH:
        if (this.miiDoneUs >= 0) this.driverError('MIWRH written while MISTAT.BUSY is set');
        this.regs[i] = v;
        this.miiDoneUs = this.nowUs + MII_BUSY_US;
        this.miiWrite = true;
        return;
      default:
        if (i === A.ETXNDH || i === A.ETXSTH || i === A.ERDPTH || i === A.EWRPTH || i === A.EDMASTL + 1 ||
          i === A.EDMANDL + 1 || i === A.EDMADSTL + 1 || i === A.EPMOH) v &= 0x1f;
        this.regs[i] = v;
    }
  }

  private writeEcon1(old: number, v: number): void {
    let nv = v;
    if (this.txStuck && !(v & ECON1_TXRST)) nv |= ECON1_TXRTS; // errata 12 model: TXRTS sticks
    this.regs[ECON1] = nv;
    if (nv & ECON1_TXRST) {
      // Transmit logic held in reset: cancels a send, releases a stuck TXRTS.
      this.txDoneUs = -1;
      this.txStuck = false;
      this.regs[ECON1] &= ~ECON1_TXRTS;
    } else if (old & ECON1_TXRST && this.txAbortSinceReset) {
      // Errata DS80349C item 12: "Clearing ECON1.TXRST may cause a new transmit error interrupt event
      // (EIR.TXERIF will become set). Therefore, the interrupt flag should be cleared after the Reset
      // is completed." Modelled as: it does, whenever a transmission aborted since the last TXRST (the
      // case the errata's reset is for; GUESS: which condition triggers it, docs/simulator-guesses.md).
      this.txAbortSinceReset = false;
      this.regs[EIR] |= EIR_TXERIF;
      this.updateInt();
    }
    if (nv & ECON1_RXRST && !(old & ECON1_RXRST)) {
      // RXRST resets the receive logic only (DS §11 "Receive Only Reset": the buffer management,
      // host interface, transmit logic, MAC and PHY are not affected). So EPKTCNT keeps its count and
      // PKTIF stays set with it; ERXWRPT is not moved either (the driver's ERXST write moves it, DS §6.1).
      // This follows the datasheet and the drivers that decrement EPKTCNT to 0 after an RX reset;
      // Linux's enc28j60.c does not, and a chip that cleared EPKTCNT would make that harmless
      // (docs/simulator-guesses.md lists this as the first thing to check on hardware).
      this.updateInt();
    }
    if (nv & ECON1_DMAST && !(old & ECON1_DMAST)) this.runDma();
    if (!(nv & ECON1_TXRST)) {
      if (nv & ECON1_TXRTS && !(old & ECON1_TXRTS)) this.startTx();
      else if (!(nv & ECON1_TXRTS) && old & ECON1_TXRTS && this.txDoneUs >= 0) this.txDoneUs = -1; // cancelled
    }
  }

  private powerOnReset(): void {
    this.phy.fill(0);
    this.phy[PHID1] = 0x0083;
    this.phy[PHID2] = 0x1400;
    this.phy[PHLCON] = 0x3422;
    this.phy[PHSTAT1] = 0x1800 | (this.link ? PHSTAT1_LLSTAT : 0);
    this.phy[PHSTAT2] = this.link ? PHSTAT2_LSTAT : 0;
    this.resetRegisters();
    this.resetAt = -Infinity; // power-on: the host's own start-up covers the oscillator start
  }

  /** Register reset values (DS39662E §3, Table 3-2). */
  private resetRegisters(): void {
    const r = this.regs;
    r.fill(0);
    r[ECON2] = 0x80;
    r[ESTAT] = ESTAT_CLKRDY;
    this.set16(A.ERDPTL, 0x05fa);
    this.set16(A.ERXSTL, 0x05fa);
    this.set16(A.ERXNDL, 0x1fff);
    this.set16(A.ERXRDPTL, 0x05fa);
    this.rdptLatchL = 0xfa;
    r[A.ERXFCON] = 0xa1;
    r[A.MACLCON1] = 0x0f;
    r[A.MACLCON2] = 0x37;
    this.set16(A.MAMXFLL, 0x0600);
    r[A.ECOCON] = 0x04;
    this.epktcnt = 0;
    this.miiDoneUs = -1;
    this.txDoneUs = -1;
    this.txStuck = false;
    this.txAbortSinceReset = false;
    this.updateInt();
  }

  /** SRC: registers to reset values; GUESS: the PHY is reset too ([S]); buffer memory is kept. */
  private systemReset(): void {
    this.resets++;
    this.resetRegisters();
    this.resetPhy();
    this.resetAt = this.holdClock ? this.holdClock() : this.nowUs;
  }

  private resetPhy(): void {
    const keepIr = 0;
    this.phy[PHCON1] = 0;
    this.phy[PHCON2] = 0;
    this.phy[PHIE] = 0;
    this.phy[PHIR] = keepIr;
    this.phy[PHLCON] = 0x3422;
    this.phy[PHSTAT1] = 0x1800 | (this.link ? PHSTAT1_LLSTAT : 0);
    this.phy[PHSTAT2] = this.link ? PHSTAT2_LSTAT : 0;
  }

  // ------------------------------------------------------------------ events

  private runEvents(): void {
    if (this.miiDoneUs >= 0 && this.nowUs >= this.miiDoneUs) {
      this.miiDoneUs = -1;
      const reg = this.regs[A.MIREGADR] & 0x1f;
      if (this.miiWrite) this.phyWrite(reg, this.regs[A.MIWRL] | (this.regs[A.MIWRH] << 8));
      else {
        const v = this.phyRead(reg);
        this.regs[A.MIRDL] = v & 0xff;
        this.regs[A.MIRDH] = v >> 8;
        this.regs[A.MISTAT] &= ~MISTAT_NVALID;
      }
    }
    if (this.txDoneUs >= 0 && this.nowUs >= this.txDoneUs) {
      this.txDoneUs = -1;
      this.finishTx();
    }
    if (this.linkUpAtUs >= 0 && this.nowUs >= this.linkUpAtUs) this.setLink(true);
  }

  private phyRead(reg: number): number {
    const v = this.phy[reg];
    if (reg === PHIR) {
      this.phy[PHIR] = 0; // reading PHIR clears PLNKIF/PGIF and EIR.LINKIF
      this.regs[EIR] &= ~EIR_LINKIF;
      this.updateInt();
    }
    if (reg === PHSTAT1 && this.link) this.phy[PHSTAT1] |= PHSTAT1_LLSTAT; // latch re-arms on read
    return v;
  }

  private phyWrite(reg: number, v: number): void {
    switch (reg) {
      case PHCON1:
        if (v & PHCON1_PRST) { this.resetPhy(); return; }
        this.phy[PHCON1] = v;
        if (v & PHCON1_PDPXMD) this.phy[PHSTAT2] |= PHSTAT2_DPXSTAT;
        else this.phy[PHSTAT2] &= ~PHSTAT2_DPXSTAT;
        return;
      case PHCON2: case PHIE: case PHLCON:
        this.phy[reg] = v;
        return;
      default:
        this.driverError(`write to read-only PHY register 0x${reg.toString(16)}`);
    }
  }

  private updateInt(): void {
    const r = this.regs;
    const level = r[EIE] & EIE_INTIE && r[EIR] & r[EIE] & 0x7b ? 0 : 1;
    if (level !== this.intLevel) {
      this.intLevel = level;
      for (const fn of this.intListeners.slice()) fn(level);
    }
  }

  // ------------------------------------------------------------------ transmit (DS §7.1)

  private startTx(): void {
    if (this.txStuck) return;
    this.regs[ESTAT] &= ~ESTAT_LATECOL; // reflects the transmission in progress (GUESS)
    const st = this.get16(A.ETXSTL), nd = this.get16(A.ETXNDL);
    const len = nd - st; // ETXND is the last octet; ETXST holds the control byte
    const wire = Math.max(len, 60) + 4;
    this.txDoneUs = this.nowUs + (8 + wire + 12) * WIRE_US_PER_OCTET;
  }

  private finishTx(): void {
    const st = this.get16(A.ETXSTL), nd = this.get16(A.ETXNDL);
    const macon3 = this.regs[A.MACON3];
    if (nd < st) this.driverError(`ETXND 0x${nd.toString(16)} before ETXST 0x${st.toString(16)}`);
    if (((macon3 & MACON3_FULDPX) !== 0) !== ((this.phy[PHCON1] & PHCON1_PDPXMD) !== 0)) {
      this.driverError('MACON3.FULDPX and PHCON1.PDPXMD disagree (DS §6.6)');
    }
    const len = Math.max(0, nd - st);
    const ctrl = this.mem[st];
    const data = new Uint8Array(len);
    for (let i = 0; i < len; i++) data[i] = this.mem[(st + 1 + i) & 0x1fff];
    // Padding and CRC: from the control byte when POVERRIDE, otherwise from MACON3 (PADCFG per [S]).
    let padTo = 0, crc: boolean, huge: boolean;
    if (ctrl & CTRL_POVERRIDE) {
      crc = (ctrl & CTRL_PCRCEN) !== 0;
      if (ctrl & CTRL_PPADEN) { padTo = 60; crc = true; }
      huge = (ctrl & CTRL_PHUGEEN) !== 0;
    } else {
      const padcfg = macon3 >> 5;
      crc = (macon3 & MACON3_TXCRCEN) !== 0;
      if ((padcfg & 3) === 1) padTo = 60;
      if ((padcfg & 3) === 3) padTo = 64;
      if (padcfg === 5) padTo = len >= 14 && data[12] === 0x81 && data[13] === 0x00 ? 64 : 60;
      if (padcfg & 1) crc = true;
      huge = (macon3 & MACON3_HFRMEN) !== 0;
    }
    const body = Math.max(len, padTo);
    const wireLen = body + (crc ? 4 : 0);
    const mamxfl = this.get16(A.MAMXFLL);
    let abort = false, late = false, excessive = false;
    const giant = !huge && wireLen > mamxfl;
    if (giant) abort = true;
    if (this.faults.lateCollision > 0) { this.faults.lateCollision--; abort = late = true; }
    else if (this.faults.txAbort > 0) { this.faults.txAbort--; abort = excessive = true; }
    // The frame on the wire, without FCS (when the host supplied its own FCS, drop those 4 octets).
    const onWire = new Uint8Array(crc ? body : Math.max(0, body - 4));
    onWire.set(data.subarray(0, Math.min(len, onWire.length)));
    if (!abort) {
      if (this.link && this.wire) this.wire(onWire, onWire.length);
      // Half duplex without HDLDIS loops the frame back into the receiver ([S]).
      if (!(macon3 & MACON3_FULDPX) && !(this.phy[PHCON2] & PHCON2_HDLDIS)) this.receiveFrame(onWire, onWire.length);
    }
    this.txCount++;
    this.txLog.push({ frame: onWire, aborted: abort, lateCollision: late });
    if (this.txLog.length > this.txLogLimit) this.txLog.shift();
    // TSV at ETXND + 1 (7 octets, DS Table 7-2).
    const tsv = new Uint8Array(7);
    tsv[0] = wireLen & 0xff;
    tsv[1] = wireLen >> 8;
    let s = 0;
    if (excessive) s |= 0x0f; // collision count
    if (!abort) s |= 1 << 7; // bit 23 done
    if (data[0] & 1) s |= data[0] === 0xff && data[1] === 0xff ? 1 << 9 : 1 << 8;
    if (excessive) s |= 1 << 12;
    if (late) s |= 1 << 13;
    if (giant) s |= 1 << 14;
    tsv[2] = s & 0xff; // bits 16–19 collision count, 20–23 CRC error, length check, out of range, done
    tsv[3] = (s >> 8) & 0xff;
    tsv[4] = wireLen & 0xff; // bits 32–47: total octets on the wire
    tsv[5] = wireLen >> 8;
    tsv[6] = data.length >= 14 && data[12] === 0x81 && data[13] === 0x00 ? 0x08 : 0;
    for (let i = 0; i < 7; i++) this.mem[(nd + 1 + i) & 0x1fff] = tsv[i];
    // Flags.
    this.regs[EIR] |= EIR_TXIF;
    if (abort) {
      this.regs[EIR] |= EIR_TXERIF;
      this.regs[ESTAT] |= ESTAT_TXABRT | (late ? ESTAT_LATECOL : 0);
      this.txAbortSinceReset = true;
      if (this.errata.txrtsStuckAfterAbort) this.txStuck = true;
    }
    if (!this.txStuck) this.regs[ECON1] &= ~ECON1_TXRTS;
    this.updateInt();
  }

  // ------------------------------------------------------------------ DMA (DS §13), copy and checksum

  private runDma(): void {
    const st = this.get16(A.EDMASTL), nd = this.get16(A.EDMANDL);
    const rxst = this.get16(A.ERXSTL), rxnd = this.get16(A.ERXNDL);
    const next = (p: number) => (p === rxnd ? rxst : (p + 1) & 0x1fff);
    if (this.regs[ECON1] & ECON1_CSUMEN) {
      let sum = 0, p = st, hi = true;
      for (let guard = 0; guard < MEM_SIZE; guard++) {
        sum += hi ? this.mem[p] << 8 : this.mem[p];
        hi = !hi;
        if (p === nd) break;
        p = next(p);
      }
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      sum = ~sum & 0xffff;
      this.regs[A.EDMACSL] = sum & 0xff;
      this.regs[A.EDMACSH] = sum >> 8;
    } else {
      let p = st, d = this.get16(A.EDMADSTL);
      for (let guard = 0; guard < MEM_SIZE; guard++) {
        this.mem[d] = this.mem[p];
        d = next(d);
        if (p === nd) break;
        p = next(p);
      }
    }
    this.regs[ECON1] &= ~ECON1_DMAST;
    this.regs[EIR] |= EIR_DMAIF;
    this.updateInt();
  }

  // ------------------------------------------------------------------ receive (DS §7.2, §8)

  /** Free octets the hardware may write before reaching ERXRDPT (it never writes onto it). */
  private rxFree(): number {
    const stt = this.get16(A.ERXSTL), nd = this.get16(A.ERXNDL);
    const wr = this.get16(A.ERXWRPTL), rd = this.get16(A.ERXRDPTL);
    if (rd >= wr) return rd - wr;
    return nd - wr + 1 + (rd - stt);
  }

  private receiveFrame(frame: Uint8Array, length: number): void {
    const s = this.rxStats;
    s.arrived++;
    if (!this.link) { s.noLink++; return; }
    const r = this.regs;
    // GUESS: both ECON1.RXEN and MACON1.MARXEN are needed (DS39662E §7.2).
    if (!(r[ECON1] & ECON1_RXEN) || r[ECON1] & ECON1_RXRST || !(r[A.MACON1] & MACON1_MARXEN)) { s.disabled++; return; }
    // The frame as it was on the wire: padded to 60 octets by the sender, FCS appended.
    const body = Math.max(length, 60);
    const total = body + 4;
    const f = new Uint8Array(total);
    f.set(frame.subarray(0, length));
    let fcs = fcs32(f, 0, body);
    let crcBad = false;
    if (this.faults.badFcs > 0) { this.faults.badFcs--; fcs ^= 0x1; crcBad = true; }
    f[body] = fcs & 0xff; f[body + 1] = (fcs >>> 8) & 0xff; f[body + 2] = (fcs >>> 16) & 0xff; f[body + 3] = fcs >>> 24;
    if (!this.filter(f, body, crcBad)) { s.filtered++; return; }
    const macon3 = r[A.MACON3];
    if (!(macon3 & MACON3_HFRMEN) && total > this.get16(A.MAMXFLL)) { s.tooLong++; return; }
    // Receive status vector bits 16–31.
    const tl = (f[12] << 8) | f[13];
    let st = 0;
    if (crcBad) st |= 0x0010;
    if (tl > 1500) st |= 0x0040; // length out of range (every EtherType)
    else if (macon3 & MACON3_FRMLNEN && tl !== body - 14 && !(tl < 46 && body === 60)) st |= 0x0020;
    if (!(st & 0x0030)) st |= 0x0080; // received OK
    if (f[0] & 1) st |= f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff ? 0x0200 : 0x0100;
    if (tl === 0x8808) { st |= 0x0800; st |= ((f[14] << 8) | f[15]) === 1 ? 0x1000 : 0x2000; }
    if (tl === 0x8100) st |= 0x4000;
    if (this.faults.rsv) { st = (st | this.faults.rsv.set) & ~this.faults.rsv.clear; this.faults.rsv = null; }
    // Room: header + frame + pad must fit before ERXRDPT, and EPKTCNT must be below 255 (DS p.45).
    const need = 6 + total + (total & 1);
    if (this.faults.rxOverflow > 0 || this.epktcnt >= 255 || need > this.rxFree()) {
      if (this.faults.rxOverflow > 0) this.faults.rxOverflow--;
      s.overflow++;
      r[EIR] |= EIR_RXERIF;
      this.updateInt();
      return;
    }
    const stt = this.get16(A.ERXSTL), nd = this.get16(A.ERXNDL);
    let p = this.get16(A.ERXWRPTL);
    const wrap = (q: number) => (q === nd ? stt : (q + 1) & 0x1fff);
    let next = p;
    for (let i = 0; i < need; i++) next = wrap(next);
    let nextField = next;
    if (this.errata.evenRdptCorruption && !(this.get16(A.ERXRDPTL) & 1)) nextField = (next ^ 0x0a5a) & 0x1fff;
    const hdr = [nextField & 0xff, nextField >> 8, total & 0xff, total >> 8, st & 0xff, st >> 8];
    for (let i = 0; i < 6; i++) { this.mem[p] = hdr[i]; p = wrap(p); }
    for (let i = 0; i < total; i++) { this.mem[p] = f[i]; p = wrap(p); }
    this.set16(A.ERXWRPTL, next);
    this.epktcnt++;
    s.stored++;
    this.arrivals++;
    if (!(this.errata.unreliablePktif && (this.arrivals & 1) === 0)) r[EIR] |= EIR_PKTIF;
    this.updateInt();
  }

  /** Receive filters (DS §8). `f` holds the frame and FCS; `body` excludes the FCS. */
  private filter(f: Uint8Array, body: number, crcBad: boolean): boolean {
    const fcon = this.regs[A.ERXFCON];
    if (fcon === 0) return true; // promiscuous
    if (fcon & F_CRCEN && crcBad) return false;
    const mac = this.macAddress();
    const isBcast = f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
    const isUcastMe = f[0] === mac[0] && f[1] === mac[1] && f[2] === mac[2] && f[3] === mac[3] && f[4] === mac[4] && f[5] === mac[5];
    const results: boolean[] = [];
    if (fcon & F_UCEN) results.push(isUcastMe);
    if (fcon & F_PMEN) results.push(this.patternMatch(f, body));
    if (fcon & F_MPEN) results.push(isUcastMe && this.magicPacket(f, body, mac));
    if (fcon & F_HTEN) {
      const k = simHashIndex(f, 0);
      results.push((this.regs[A.EHT0 + (k >> 3)] & (1 << (k & 7))) !== 0);
    }
    if (fcon & F_MCEN) results.push((f[0] & 1) === 1 && !isBcast);
    if (fcon & F_BCEN) results.push(isBcast);
    if (results.length === 0) return true; // GUESS: only CRCEN enabled
    return fcon & F_ANDOR ? results.every((x) => x) : results.some((x) => x);
  }

  /** MAADR1..6 in wire order. */
  macAddress(): Uint8Array {
    const r = this.regs;
    return Uint8Array.of(r[A.MAADR1], r[A.MAADR2], r[A.MAADR3], r[A.MAADR4], r[A.MAADR5], r[A.MAADR6]);
  }

  /** Pattern match (DS §8.2): ones' complement checksum of the EPMM-selected octets of the 64-octet
   *  window at EPMO equals EPMCS. */
  private patternMatch(f: Uint8Array, body: number): boolean {
    const off = this.get16(A.EPMOL);
    if (off + 64 > body) return false;
    let sum = 0, hi = true;
    for (let i = 0; i < 64; i++) {
      if (this.regs[A.EPMM0 + (i >> 3)] & (1 << (i & 7))) {
        sum += hi ? f[off + i] << 8 : f[off + i];
        hi = !hi;
      }
    }
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    return sum === (this.regs[A.EPMCSL] | (this.regs[A.EPMCSH] << 8));
  }

  /** Magic packet (DS §8.4): six 0xFF octets then our MAC 16 times, anywhere after the header. */
  private magicPacket(f: Uint8Array, body: number, mac: Uint8Array): boolean {
    for (let s = 14; s + 102 <= body; s++) {
      let ok = true;
      for (let i = 0; i < 6 && ok; i++) ok = f[s + i] === 0xff;
      for (let i = 0; i < 96 && ok; i++) ok = f[s + 6 + i] === mac[i % 6];
      if (ok) return true;
    }
    return false;
  }
}
