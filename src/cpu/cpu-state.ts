/**
 * CpuState: TypeScript's view of the architected state in Wasm memory (state-layout.ts).
 * Views are created once. 64-bit values are read as (lo, hi) halves, or as a JS number when
 * they are addresses (canonical, exact in a double). Used by helpers, loaders and the monitor;
 * generated code reads the same bytes directly.
 */

import { WasmLayout } from "../memory/wasm-layout.js";
import {
  GPR_NAMES, HFlag, MsrSlot, RunWord, SegBound, SegIndex, SegOff, StateOff, gprOff, msrOff, runOff, segBoundOff, segOff,
} from "./state-layout.js";
import { Eflag, CC_OP_EFLAGS } from "./flags.js";

const TWO32 = 4294967296;

export interface SegmentCache {
  selector: number;
  base: number;
  limit: number;
  attr: number;
}

/** Descriptor attribute bits in SegmentCache.attr (descriptor bits 40..55 shifted down by 40). */
export const enum SegAttr {
  TYPE_MASK = 0xf, ACCESSED = 1, S = 1 << 4, DPL_SHIFT = 5, DPL_MASK = 3 << 5, P = 1 << 7,
  AVL = 1 << 12, L = 1 << 13, DB = 1 << 14, G = 1 << 15,
  /** Convenience: a code segment's type has bit 3 set. */
  CODE = 1 << 3,
}

/** [readLo, readHi, writeLo, writeHi]: offsets an access may touch (lo > hi: none). */
export type SegBounds = readonly [number, number, number, number];
const NO_ACCESS = [1, 0] as const;
const FLAT = 0xffffffff;

/**
 * The offsets ordinary data accesses through a segment may touch (SDM vol 3 5.3 limit checking,
 * 5.4 type checking). Real mode and virtual-8086 mode: [0, limit] for reads and writes (the
 * cached limit: "unreal mode" keeps a big one). Protected mode: nothing through an unusable
 * (null-loaded, not present) or system segment; code segments are never writable and readable
 * only with type.R; data segments are readable, writable with type.W, and expand-down ones
 * cover limit+1 .. 0xFFFF or 0xFFFFFFFF (B bit).
 */
export function segmentBounds(limit: number, attr: number, protectedMode: boolean): SegBounds {
  if (!protectedMode) return [0, limit, 0, limit];
  if (!(attr & SegAttr.P) || !(attr & SegAttr.S)) return [...NO_ACCESS, ...NO_ACCESS];
  const type = attr & SegAttr.TYPE_MASK;
  if (type & SegAttr.CODE) return type & 2 ? [0, limit, ...NO_ACCESS] : [...NO_ACCESS, ...NO_ACCESS];
  let range: readonly [number, number] = [0, limit];
  if (type & 4) {
    const top = attr & SegAttr.DB ? FLAT : 0xffff;
    range = limit >= top ? NO_ACCESS : [limit + 1, top];
  }
  return [...range, ...(type & 2 ? range : NO_ACCESS)];
}

export class CpuState {
  readonly dv: DataView;
  readonly i32: Int32Array;

  constructor(buffer: ArrayBuffer) {
    this.dv = new DataView(buffer, WasmLayout.STATE_BASE, WasmLayout.STATE_SIZE);
    this.i32 = new Int32Array(buffer, WasmLayout.STATE_BASE, WasmLayout.STATE_SIZE / 4);
  }

  // ---- raw access
  lo(off: number): number { return this.dv.getInt32(off, true); }
  hi(off: number): number { return this.dv.getInt32(off + 4, true); }
  set64(off: number, lo: number, hi: number): void {
    this.dv.setInt32(off, lo | 0, true);
    this.dv.setInt32(off + 4, hi | 0, true);
  }
  /** A 64-bit field as a signed JS number (exact for canonical addresses and |v| < 2^53). */
  getNum(off: number): number { return this.hi(off) * TWO32 + (this.lo(off) >>> 0); }
  /** Store a safe integer (possibly negative) as a sign-extended 64-bit value. */
  setNum(off: number, v: number): void {
    const hi = Math.floor(v / TWO32);
    this.set64(off, v - hi * TWO32, hi);
  }
  get32(off: number): number { return this.dv.getInt32(off, true); }
  set32(off: number, v: number): void { this.dv.setInt32(off, v | 0, true); }

  // ---- registers
  reg(n: number): number { return this.getNum(gprOff(n)); }
  setReg(n: number, v: number): void { this.setNum(gprOff(n), v); }
  get rip(): number { return this.getNum(StateOff.RIP); }
  set rip(v: number) { this.setNum(StateOff.RIP, v); }
  get cpl(): number { return this.get32(StateOff.CPL); }
  set cpl(v: number) { this.set32(StateOff.CPL, v); }
  get hflags(): number { return this.get32(StateOff.HFLAGS); }
  get cr0(): number { return this.lo(StateOff.CR0) >>> 0; }
  get cr3(): number { return this.getNum(StateOff.CR3); }
  get cr4(): number { return this.lo(StateOff.CR4) >>> 0; }
  get efer(): number { return this.lo(StateOff.EFER) >>> 0; }
  msr(slot: MsrSlot): number { return this.getNum(msrOff(slot)); }
  run(w: RunWord): number { return this.get32(runOff(w)); }
  setRun(w: RunWord, v: number): void { this.set32(runOff(w), v); }

  seg(i: SegIndex): SegmentCache {
    return {
      selector: this.get32(segOff(i, SegOff.SELECTOR)) & 0xffff,
      base: this.getNum(segOff(i, SegOff.BASE)),
      limit: this.get32(segOff(i, SegOff.LIMIT)) >>> 0,
      attr: this.get32(segOff(i, SegOff.ATTR)),
    };
  }
  setSeg(i: SegIndex, s: SegmentCache): void {
    this.set32(segOff(i, SegOff.SELECTOR), s.selector & 0xffff);
    this.setNum(segOff(i, SegOff.BASE), s.base);
    this.set32(segOff(i, SegOff.LIMIT), s.limit);
    this.set32(segOff(i, SegOff.ATTR), s.attr);
  }

  /**
   * EFLAGS without the arithmetic flags (those are lazy: use Cpu.eflags, which evaluates them
   * with the runtime's compute_eflags).
   */
  get eflagsRest(): number { return this.get32(StateOff.EFLAGS); }
  /** Store a full EFLAGS value: arithmetic flags become CC_OP_EFLAGS, the rest go to EFLAGS. */
  setEflags(v: number): void {
    this.set32(StateOff.EFLAGS, (v & ~Eflag.ARITH) | Eflag.FIXED1);
    this.set64(StateOff.CC_SRC, v & Eflag.ARITH, 0);
    this.set32(StateOff.CC_OP, CC_OP_EFLAGS);
  }

  /** Recompute hflags (the TB-key mode bits) after any mode-affecting change. */
  updateHflags(): void {
    const cs = this.get32(segOff(SegIndex.CS, SegOff.ATTR));
    const ss = this.get32(segOff(SegIndex.SS, SegOff.ATTR));
    const cr0 = this.cr0, efer = this.efer;
    let h = 0;
    const lma = (efer & (1 << 10)) !== 0;
    if (lma) h |= HFlag.LMA;
    if (lma && cs & SegAttr.L) h |= HFlag.CS64;
    else if (cs & SegAttr.DB) h |= HFlag.CS32;
    // SS.B means nothing in 64-bit code: keeping it out of the key lets kernel code entered
    // through SYSCALL (SS.B = 1) and through an interrupt from user mode (null SS, B = 0)
    // share one translation instead of two.
    if (ss & SegAttr.DB && !(h & HFlag.CS64)) h |= HFlag.SS32;
    if (cr0 & 1) h |= HFlag.PE;
    if (cr0 & 0x80000000) h |= HFlag.PG;
    if (this.eflagsRest & Eflag.VM) h |= HFlag.VM86;
    if (this.cpl === 3) h |= HFlag.CPL3;
    if (this.cr4 & (1 << 9)) h |= HFlag.OSFXSR;
    if (cr0 & ((1 << 2) | (1 << 3))) h |= HFlag.EM_TS;
    if (this.eflagsRest & Eflag.TF) h |= HFlag.TF;
    const armed = this.run(RunWord.DEBUG_ARMED);
    if (armed & 1) h |= HFlag.DEBUG;
    if (armed & 2) h |= HFlag.HSTEP;
    if (!(h & HFlag.CS64)) {
      const anyBase = [SegIndex.ES, SegIndex.SS, SegIndex.DS].some((i) => this.getNum(segOff(i, SegOff.BASE)) !== 0);
      if (anyBase || !(h & HFlag.PE) || h & HFlag.VM86) h |= HFlag.ADDSEG;
      h |= this._updateSegBounds((h & HFlag.PE) !== 0 && !(h & HFlag.VM86));
    }
    this.set32(StateOff.HFLAGS, h);
  }

  /**
   * Store the access bounds of ES..GS (SEG_BOUNDS, read by generated limit checks) and return
   * the hflags SEGCHK bits of the segments that are not flat 4 GiB read/write ones.
   */
  private _updateSegBounds(protectedMode: boolean): number {
    let h = 0;
    for (let i = SegIndex.ES; i <= SegIndex.GS; i++) {
      const [rl, rh, wl, wh] = segmentBounds(this.get32(segOff(i, SegOff.LIMIT)) >>> 0, this.get32(segOff(i, SegOff.ATTR)), protectedMode);
      this.set32(segBoundOff(i, SegBound.READ_LO), rl);
      this.set32(segBoundOff(i, SegBound.READ_HI), rh);
      this.set32(segBoundOff(i, SegBound.WRITE_LO), wl);
      this.set32(segBoundOff(i, SegBound.WRITE_HI), wh);
      if (rl !== 0 || rh !== FLAT || wl !== 0 || wh !== FLAT) h |= HFlag.SEGCHK << i;
    }
    return h;
  }

  /** `info registers`-style dump of the general registers (lazy flags not evaluated here). */
  dumpGprs(): string {
    const hex = (off: number) => (this.hi(off) >>> 0).toString(16).padStart(8, "0") + (this.lo(off) >>> 0).toString(16).padStart(8, "0");
    return GPR_NAMES.map((n, i) => `${n.toUpperCase().padEnd(3)}=${hex(gprOff(i))}`).join(" ") + ` RIP=${hex(StateOff.RIP)}`;
  }
}
