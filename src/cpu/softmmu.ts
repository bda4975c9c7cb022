/**
 * The softmmu slow path (QEMU cputlb.c's role): called by generated code on a TLB miss, a
 * page-crossing access, an MMIO page or a write to a page holding translated code. It walks
 * the page tables (mmu.ts), fills the TLB for RAM pages, dispatches MMIO, raises #PF/#GP as a
 * pending exception, and invalidates translated code on writes (self-modifying code).
 *
 * Invariant: the write tag of a TLB entry is valid only when the page is writable at that
 * privilege AND its PTE dirty bit is set AND the page holds no translated code (otherwise the
 * entry carries TlbFlag.CODE and every write comes here).
 */

import { SizeMmu, SlowStatus } from "../jit/ir/types.js";
import { SoftTlb } from "../memory/tlb.js";
import { TlbFlag, WasmLayout } from "../memory/wasm-layout.js";
import type { CpuMemoryBus } from "./bus.js";
import type { CpuState } from "./cpu-state.js";
import { Access, Mmu } from "./mmu.js";
import { RunWord } from "./state-layout.js";

const TWO32 = 4294967296;
const CR4_PGE = 1 << 7;

/** Exception vectors the softmmu raises. */
export const enum Vec { DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19 }

/** Data breakpoints (debug.ts CpuDebug): watched pages stay out of the TLB, accesses are checked. */
export interface AccessWatch {
  watchesPage(gva: number): boolean;
  access(gva: number, size: number, write: boolean): void;
}

/**
 * Called when a write of `len` bytes at offset `off` hits a physical page with translated
 * code; returns true if any TB died.
 */
export type CodeWriteHook = (physPage: number, off: number, len: number) => boolean;

export class SoftMmu {
  readonly tlb: SoftTlb;
  readonly mmu: Mmu;
  /** Physical pages holding translated code. */
  readonly codePages = new Set<number>();
  onCodeWrite: CodeWriteHook = () => false;
  /** Armed data breakpoints, or null (the usual case: no cost). */
  watch: AccessWatch | null = null;
  private _dv: DataView;
  private _u8: Uint8Array;
  private _codeInvalidated = false;

  constructor(private readonly _memory: WebAssembly.Memory, private readonly _state: CpuState, private readonly _bus: CpuMemoryBus) {
    this._dv = new DataView(_memory.buffer);
    this._u8 = new Uint8Array(_memory.buffer);
    this.tlb = new SoftTlb(_memory.buffer);
    this.mmu = new Mmu(_state, _bus, () => this._dv);
  }

  /** A DataView over the whole Wasm memory (helpers that build FXSAVE/XSAVE images use it). */
  get view(): DataView { return this._dv; }

  /** Record a pending exception (delivered by the run loop). */
  raise(vector: number, errorCode = -1, addr = 0): void {
    const s = this._state;
    s.setRun(RunWord.EXC_VECTOR, vector);
    s.setRun(RunWord.EXC_ERROR, errorCode);
    const hi = Math.floor(addr / TWO32);
    s.setRun(RunWord.EXC_ADDR_LO, (addr - hi * TWO32) | 0);
    s.setRun(RunWord.EXC_ADDR_HI, hi | 0);
  }

  /**
   * Translate a linear address for an access of one page at most, filling the TLB.
   * Returns the physical address or -1 with the exception pending. A non-canonical address is
   * #GP(0), or #SS(0) for an access through the stack segment (`stack`, SDM vol 3 6.15).
   */
  translate(gva: number, access: Access, mmuIdx: number, stack = false): number {
    if (gva >= 2 ** 47 || gva < -(2 ** 47)) {
      this.raise(stack ? Vec.SS : Vec.GP, 0);
      return -1;
    }
    const mmu = this.mmu;
    const gpa = mmu.translate(gva, access, mmuIdx === 1);
    if (gpa < 0) {
      this.raise(Vec.PF, mmu.errorCode, gva);
      return -1;
    }
    const pageGpa = gpa - (gpa % 4096);
    const wasmOff = this._bus.ramWasmOffset(pageGpa, false);
    if (wasmOff >= 0 && !(this.watch?.watchesPage(gva))) {
      const physPage = Math.floor(gpa / 4096);
      const canWrite = mmu.writable && (mmu.dirty || access === Access.WRITE) && this._bus.ramWasmOffset(pageGpa, true) >= 0;
      const global = mmu.global && (this._state.cr4 & CR4_PGE) !== 0;
      this.tlb.fill(mmuIdx, gva, wasmOff, physPage, true, canWrite, mmu.exec, this.codePages.has(physPage) ? TlbFlag.CODE : 0, 0, global);
    }
    return gpa;
  }

  /**
   * Translate for instruction fetch without raising anything (look-ahead translation):
   * returns the physical address or -1.
   */
  probe(gva: number, mmuIdx: number): number {
    const s = this._state;
    const saved = [s.run(RunWord.EXC_VECTOR), s.run(RunWord.EXC_ERROR), s.run(RunWord.EXC_ADDR_LO), s.run(RunWord.EXC_ADDR_HI)];
    const gpa = this.translate(gva, Access.EXEC, mmuIdx);
    if (gpa < 0) {
      s.setRun(RunWord.EXC_VECTOR, saved[0]!);
      s.setRun(RunWord.EXC_ERROR, saved[1]!);
      s.setRun(RunWord.EXC_ADDR_LO, saved[2]!);
      s.setRun(RunWord.EXC_ADDR_HI, saved[3]!);
    }
    return gpa;
  }

  /** Read `size` bytes at a physical address (RAM or MMIO) as (lo, hi) into the scratch area. */
  private _readPhys(gpa: number, size: number, dst: number): void {
    const off = this._bus.ramWasmOffset(gpa, false);
    if (off >= 0 && (gpa % 4096) + size <= 4096) {
      this._u8.copyWithin(dst, off, off + size);
      return;
    }
    for (let i = 0; i < size; ) {
      const chunk = size - i >= 4 && (gpa + i) % 4 === 0 ? 4 : 1;
      const v = this._bus.readMmio(gpa + i, chunk as 1 | 4);
      if (chunk === 4) this._dv.setUint32(dst + i, v >>> 0, true);
      else this._u8[dst + i] = v & 0xff;
      i += chunk;
    }
  }

  private _writePhys(gpa: number, size: number, src: number): void {
    const page = Math.floor(gpa / 4096);
    if (this.codePages.has(page) && this.onCodeWrite(page, gpa - page * 4096, size)) this._codeInvalidated = true;
    const off = this._bus.ramWasmOffset(gpa, true);
    if (off >= 0 && (gpa % 4096) + size <= 4096) {
      this._u8.copyWithin(off, src, src + size);
      return;
    }
    for (let i = 0; i < size; ) {
      const chunk = size - i >= 4 && (gpa + i) % 4 === 0 ? 4 : 1;
      if (chunk === 4) this._bus.writeMmio(gpa + i, this._dv.getUint32(src + i, true), 4);
      else this._bus.writeMmio(gpa + i, this._u8[src + i]!, 1);
      i += chunk;
    }
  }

  /**
   * Access `size` bytes at `gva` through the scratch buffer at `buf` (a Wasm address).
   * Both pages of a page-crossing access are translated before any byte moves.
   */
  access(gva: number, size: number, access: Access, mmuIdx: number, buf: number, stack = false): boolean {
    const inPage = 4096 - (((gva % 4096) + 4096) % 4096);
    const first = Math.min(size, inPage);
    const gpa1 = this.translate(gva, access, mmuIdx, stack);
    if (gpa1 < 0) return false;
    let gpa2 = -1;
    if (first < size) {
      gpa2 = this.translate(gva + first, access, mmuIdx, stack);
      if (gpa2 < 0) return false;
    }
    if (this.watch && access !== Access.EXEC) this.watch.access(gva, size, access === Access.WRITE);
    if (access === Access.WRITE) {
      this._writePhys(gpa1, first, buf);
      if (gpa2 >= 0) this._writePhys(gpa2, size - first, buf + first);
    } else {
      this._readPhys(gpa1, first, buf);
      if (gpa2 >= 0) this._readPhys(gpa2, size - first, buf + first);
    }
    return true;
  }

  /** Generated code's load slow path: value to SCRATCH_BASE (zero-extended to 8 bytes). */
  ldSlow(lo: number, hi: number, sizeMmu: number): number {
    const size = sizeMmu & SizeMmu.SIZE_MASK, mmuIdx = (sizeMmu & SizeMmu.MMU_MASK) >> SizeMmu.MMU_SHIFT;
    this._dv.setInt32(WasmLayout.SCRATCH_BASE, 0, true);
    this._dv.setInt32(WasmLayout.SCRATCH_BASE + 4, 0, true);
    const stack = (sizeMmu & SizeMmu.STACK) !== 0;
    return this.access(hi * TWO32 + (lo >>> 0), size, Access.READ, mmuIdx, WasmLayout.SCRATCH_BASE, stack) ? SlowStatus.OK : SlowStatus.FAULT;
  }

  /** Generated code's store slow path. */
  stSlow(lo: number, hi: number, sizeMmu: number, vlo: number, vhi: number): number {
    const size = sizeMmu & SizeMmu.SIZE_MASK, mmuIdx = (sizeMmu & SizeMmu.MMU_MASK) >> SizeMmu.MMU_SHIFT;
    const buf = WasmLayout.SCRATCH_BASE + 8;
    this._dv.setInt32(buf, vlo, true);
    this._dv.setInt32(buf + 4, vhi, true);
    this._codeInvalidated = false;
    if (!this.access(hi * TWO32 + (lo >>> 0), size, Access.WRITE, mmuIdx, buf, (sizeMmu & SizeMmu.STACK) !== 0)) return SlowStatus.FAULT;
    return this._codeInvalidated ? SlowStatus.CODE_INVALIDATED : SlowStatus.OK;
  }

  // ---- TypeScript-side guest accesses for helpers (descriptor tables, interrupt frames)
  /** Read up to 4 bytes; returns the value, or undefined with the exception pending. */
  read(gva: number, size: 1 | 2 | 4, mmuIdx: number): number | undefined {
    const buf = WasmLayout.SCRATCH_BASE + 16;
    this._dv.setUint32(buf, 0, true);
    if (!this.access(gva, size, Access.READ, mmuIdx, buf)) return undefined;
    return this._dv.getUint32(buf, true);
  }
  write(gva: number, value: number, size: 1 | 2 | 4, mmuIdx: number): boolean {
    const buf = WasmLayout.SCRATCH_BASE + 16;
    this._dv.setUint32(buf, value >>> 0, true);
    return this.access(gva, size, Access.WRITE, mmuIdx, buf);
  }

  /** A byte of physical memory (RAM or MMIO), for the translator's code reads. */
  readPhysByte(gpa: number): number {
    const off = this._bus.ramWasmOffset(gpa, false);
    return off >= 0 ? this._u8[off]! : this._bus.readMmio(gpa, 1) & 0xff;
  }
}
