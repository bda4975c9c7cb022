/**
 * The x86 page walk (SDM vol 3 ch. 4): no paging, 32-bit paging (4K/4M pages), PAE (4K/2M)
 * and 4-level paging (4K/2M/1G), with U/S, R/W (CR0.WP), NX (EFER.NXE), and accessed/dirty
 * bits set as the hardware does. Returns a guest-physical address or -1 with the #PF error
 * code in `errorCode`; the softmmu (softmmu.ts) turns results into TLB entries.
 * Addresses are JS numbers: virtual ones canonical-signed, physical ones < 2^52.
 */

import type { CpuMemoryBus } from "./bus.js";
import type { CpuState } from "./cpu-state.js";

export const enum Access { READ = 0, WRITE = 1, EXEC = 2 }

/** #PF error code bits (SDM vol 3 4.7). */
export const enum PfErr { P = 1, W = 2, U = 4, RSVD = 8, I = 16 }

const TWO32 = 4294967296;
const CR0_WP = 1 << 16, CR0_PG = 1 << 31;
const CR4_PSE = 1 << 4, CR4_PAE = 1 << 5;
const EFER_LMA = 1 << 10, EFER_NXE = 1 << 11;
const PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_A = 0x20, PTE_D = 0x40, PTE_PS = 0x80, PTE_G = 0x100;
const NX_HI = 0x80000000 | 0;
const SHIFTS_4LEVEL = [39, 30, 21, 12] as const;
const SHIFTS_PAE = [21, 12] as const;

export class Mmu {
  /** Results of the last successful walk. */
  writable = false;
  user = false;
  exec = false;
  global = false;
  /** Dirty bit already set (so a write TLB entry may be installed without another walk). */
  dirty = false;
  /** Error code of the last failed walk. */
  errorCode = 0;
  /** Physical address bits the guest can use (CPUID 0x80000008). */
  physBits = 40;

  constructor(private readonly _state: CpuState, private readonly _mem: CpuMemoryBus, private readonly _view: () => DataView) {}

  /** Set during translateDebug: no A/D writes, page tables read from RAM only. */
  private _debug = false;

  private _read32(gpa: number): number {
    const off = this._mem.ramWasmOffset(gpa, false);
    if (off >= 0) return this._view().getInt32(off, true);
    return this._debug ? 0 : this._mem.readMmio(gpa, 4) | 0;
  }
  private _write32(gpa: number, v: number): void {
    if (this._debug) return;
    const off = this._mem.ramWasmOffset(gpa, true);
    if (off >= 0) this._view().setInt32(off, v, true);
    else this._mem.writeMmio(gpa, v >>> 0, 4);
  }

  /**
   * Translate `gva` for an access. `user`: the access is made at CPL 3 (and is not an implicit
   * supervisor access). Returns the physical address, or -1 with `errorCode` set.
   */
  translate(gva: number, access: Access, user: boolean): number {
    const s = this._state;
    const cr0 = s.cr0;
    if (!(cr0 & CR0_PG)) {
      this.writable = this.user = this.exec = this.dirty = true;
      this.global = false;
      return ((gva % TWO32) + TWO32) % TWO32;
    }
    const cr4 = s.cr4, efer = s.efer;
    if (efer & EFER_LMA) return this._walk64(gva, access, user, efer & EFER_NXE ? true : false, cr0);
    if (cr4 & CR4_PAE) return this._walkPae(gva, access, user, (efer & EFER_NXE) !== 0, cr0);
    return this._walk32(gva >>> 0, access, user, (cr4 & CR4_PSE) !== 0, cr0);
  }

  /**
   * Translate for a debugger (QEMU's cpu_get_phys_page_debug; the monitor's `x`): supervisor
   * read rights, no side effects at all: accessed/dirty bits are not written, page tables
   * outside RAM count as not present, no exception is raised, and the result fields of the
   * last real walk are kept. Returns the physical address, or -1 when nothing is mapped there
   * (also for non-canonical addresses in 4-level paging).
   */
  translateDebug(gva: number): number {
    const saved = [this.writable, this.user, this.exec, this.global, this.dirty] as const;
    const savedError = this.errorCode;
    if (this._state.efer & EFER_LMA && this._state.cr0 & CR0_PG && (gva >= 2 ** 47 || gva < -(2 ** 47))) return -1;
    this._debug = true;
    try {
      return this.translate(gva, Access.READ, false);
    } finally {
      this._debug = false;
      [this.writable, this.user, this.exec, this.global, this.dirty] = saved;
      this.errorCode = savedError;
    }
  }

  /** 4-level paging: PML4 -> PDPT (1 GiB pages) -> PD (2 MiB pages) -> PT. */
  private _walk64(gva: number, access: Access, user: boolean, nxe: boolean, cr0: number): number {
    const table = Math.floor(this._state.cr3 / 4096) * 4096 % 2 ** 52;
    return this._walkTables(gva, table, SHIFTS_4LEVEL, access, user, nxe, cr0);
  }

  /** PAE paging: the PDPTE for bits 31:30, then PD (2 MiB pages) -> PT. */
  private _walkPae(gva: number, access: Access, user: boolean, nxe: boolean, cr0: number): number {
    const va = gva >>> 0;
    const pdpteAddr = ((this._state.cr3 >>> 0) & ~0x1f) + (va >>> 30) * 8;
    const lo = this._read32(pdpteAddr), hi = this._read32(pdpteAddr + 4);
    if (!(lo & PTE_P)) return this._fault(access, user, nxe, false);
    return this._walkTables(va, (hi & 0xfffff) * TWO32 + ((lo & ~0xfff) >>> 0), SHIFTS_PAE, access, user, nxe, cr0);
  }

  /**
   * Walk 8-byte entries from `table`, one level per shift (39/30/21/12); an entry with PS at
   * the 1 GiB or 2 MiB level is a leaf. Rights accumulate across levels (SDM 4.6).
   */
  private _walkTables(gva: number, table: number, shifts: readonly number[], access: Access, user: boolean, nxe: boolean, cr0: number): number {
    let rw = true, us = true, nx = false;
    for (let level = 0; level < shifts.length; level++) {
      const shift = shifts[level]!;
      const ea = table + (Math.floor(gva / 2 ** shift) & 511) * 8;
      let lo = this._read32(ea);
      const hi = this._read32(ea + 4);
      if (!(lo & PTE_P)) return this._fault(access, user, nxe, false);
      rw &&= (lo & PTE_RW) !== 0;
      us &&= (lo & PTE_US) !== 0;
      if (nxe && (hi & NX_HI)) nx = true;
      const frame = (hi & 0xfffff) * TWO32 + ((lo & ~0xfff) >>> 0);
      if (shift !== 12 && !(shift <= 30 && (lo & PTE_PS))) {
        if (!(lo & PTE_A)) this._write32(ea, (lo |= PTE_A));
        table = frame;
        continue;
      }
      const pageSize = 2 ** shift;
      if (!this._check(access, user, rw, us, nx, cr0, nxe)) return -1;
      this._setAD(ea, lo, access);
      this.global = (lo & PTE_G) !== 0;
      return Math.floor(frame / pageSize) * pageSize + (((gva % pageSize) + pageSize) % pageSize);
    }
    return -1;
  }

  private _walk32(va: number, access: Access, user: boolean, pse: boolean, cr0: number): number {
    const cr3 = this._state.cr3 >>> 0;
    const pdeAddr = (cr3 & ~0xfff) + (va >>> 22) * 4;
    let pde = this._read32(pdeAddr);
    if (!(pde & PTE_P)) return this._fault(access, user, false, false);
    if (pse && pde & PTE_PS) {
      if (!this._check(access, user, (pde & PTE_RW) !== 0, (pde & PTE_US) !== 0, false, cr0, false)) return -1;
      this._setAD(pdeAddr, pde, access, 4);
      this.global = (pde & PTE_G) !== 0;
      // PSE-36: bits 13..20 of the PDE are physical address bits 32..39.
      return ((pde >>> 13) & 0xff) * TWO32 + (((pde & 0xffc00000) >>> 0) + (va & 0x3fffff));
    }
    if (!(pde & PTE_A)) this._write32(pdeAddr, (pde |= PTE_A));
    const pteAddr = ((pde & ~0xfff) >>> 0) + ((va >>> 12) & 1023) * 4;
    const pte = this._read32(pteAddr);
    if (!(pte & PTE_P)) return this._fault(access, user, false, false);
    const rw = (pde & PTE_RW) !== 0 && (pte & PTE_RW) !== 0;
    const us = (pde & PTE_US) !== 0 && (pte & PTE_US) !== 0;
    if (!this._check(access, user, rw, us, false, cr0, false)) return -1;
    this._setAD(pteAddr, pte, access, 4);
    this.global = (pte & PTE_G) !== 0;
    return ((pte & ~0xfff) >>> 0) + (va & 0xfff);
  }

  /** Permission check on the combined rights; sets the result fields or the fault code. */
  private _check(access: Access, user: boolean, rw: boolean, us: boolean, nx: boolean, cr0: number, nxe: boolean): boolean {
    const wp = (cr0 & CR0_WP) !== 0;
    const canWrite = user ? us && rw : rw || !wp;
    const canRead = user ? us : true;
    const canExec = canRead && !nx;
    this.user = us;
    this.writable = canWrite;
    this.exec = canExec;
    const ok = access === Access.READ ? canRead : access === Access.WRITE ? canWrite : canExec;
    if (!ok) this._fault(access, user, nxe, true);
    return ok;
  }

  private _setAD(ea: number, lo: number, access: Access, _width = 8): void {
    const want = lo | PTE_A | (access === Access.WRITE ? PTE_D : 0);
    if (want !== lo) this._write32(ea, want);
    this.dirty = (want & PTE_D) !== 0;
  }

  private _fault(access: Access, user: boolean, nxe: boolean, present: boolean): number {
    this.errorCode = (present ? PfErr.P : 0) | (access === Access.WRITE ? PfErr.W : 0) | (user ? PfErr.U : 0) |
      (access === Access.EXEC && nxe ? PfErr.I : 0);
    return -1;
  }
}
