/**
 * The CPUID model (SDM vol 2 "CPUID", vol 3 ch. 8/10 for topology): ONE table of the features
 * tsemu advertises, which both the CPUID leaves and the instruction semantics consult, so
 * advertising and implementing stay together. A feature flips to true in the same commit
 * that implements it: the x87/MMX/SSE/XSAVE bits come from SIMD_FEATURES (fpu-state.ts,
 * owned with those semantics), the integer owners flip theirs here.
 *
 * The model is a GenuineIntel family 6 model 0x5E (a Skylake client part) with one core and
 * one thread. The board passes the physical address width and the TSC / LAPIC bus
 * frequencies. Linux reads the TSC frequency from leaf 0x15 (native_calibrate_tsc: TSC =
 * crystal * EBX / EAX, and the crystal clock also clocks the LAPIC timer), so it does not
 * calibrate; leaf 0x40000010 carries the same figures in the VMware/ACRN "timing" layout.
 */

import { ConfigError } from "../common/errors.js";
import { SIMD_FEATURES, xsaveCpuidLeaf } from "./fpu-state.js";

/** Register of a CPUID result. */
export const enum CpuidReg { EAX = 0, EBX = 1, ECX = 2, EDX = 3 }

/**
 * Every advertised feature: [leaf, register, bit, implemented, subleaf (default 0)]. Only
 * data; `hasFeature` reads it, and the leaves are built from it.
 */
export const FEATURES = {
  // ---- leaf 1 EDX
  fpu: [1, CpuidReg.EDX, 0, SIMD_FEATURES.fpu],
  de: [1, CpuidReg.EDX, 2, true], // CR4.DE: DR4/DR5 are reserved (#UD) instead of aliases
  pse: [1, CpuidReg.EDX, 3, true],
  tsc: [1, CpuidReg.EDX, 4, true],
  msr: [1, CpuidReg.EDX, 5, true],
  pae: [1, CpuidReg.EDX, 6, true],
  mce: [1, CpuidReg.EDX, 7, true], // CR4.MCE accepted; no machine check is ever raised (mca.ts)
  cx8: [1, CpuidReg.EDX, 8, true],
  apic: [1, CpuidReg.EDX, 9, true],
  sep: [1, CpuidReg.EDX, 11, true],
  mtrr: [1, CpuidReg.EDX, 12, true], // MSRs stored and read back; memory types are not modelled
  pge: [1, CpuidReg.EDX, 13, true],
  mca: [1, CpuidReg.EDX, 14, true], // MCG_CAP/STATUS/CTL and 10 banks of MCi_* MSRs (mca.ts)
  cmov: [1, CpuidReg.EDX, 15, true],
  pat: [1, CpuidReg.EDX, 16, true],
  pse36: [1, CpuidReg.EDX, 17, true],
  clflush: [1, CpuidReg.EDX, 19, true],
  mmx: [1, CpuidReg.EDX, 23, SIMD_FEATURES.mmx],
  fxsr: [1, CpuidReg.EDX, 24, SIMD_FEATURES.fxsr],
  sse: [1, CpuidReg.EDX, 25, SIMD_FEATURES.sse],
  sse2: [1, CpuidReg.EDX, 26, SIMD_FEATURES.sse2],
  // ---- leaf 1 ECX
  sse3: [1, CpuidReg.ECX, 0, SIMD_FEATURES.sse3],
  pclmulqdq: [1, CpuidReg.ECX, 1, SIMD_FEATURES.pclmulqdq],
  monitor: [1, CpuidReg.ECX, 3, false],
  ssse3: [1, CpuidReg.ECX, 9, SIMD_FEATURES.ssse3],
  cx16: [1, CpuidReg.ECX, 13, true],
  pcid: [1, CpuidReg.ECX, 17, true], // CR3 PCIDs and the no-flush bit (cr.ts; the TLB is untagged)
  sse41: [1, CpuidReg.ECX, 19, SIMD_FEATURES.sse41],
  sse42: [1, CpuidReg.ECX, 20, SIMD_FEATURES.sse42],
  x2apic: [1, CpuidReg.ECX, 21, true],
  movbe: [1, CpuidReg.ECX, 22, true],
  popcnt: [1, CpuidReg.ECX, 23, true],
  tscDeadline: [1, CpuidReg.ECX, 24, true],
  xsave: [1, CpuidReg.ECX, 26, SIMD_FEATURES.xsave], // OSXSAVE (bit 27) mirrors CR4.OSXSAVE
  rdrand: [1, CpuidReg.ECX, 30, true],
  hypervisor: [1, CpuidReg.ECX, 31, true],
  // ---- leaf 6 EAX
  arat: [6, CpuidReg.EAX, 2, true], // the LAPIC timer runs in deep C-states (there are none)
  // ---- leaf 7.0 EBX / ECX / EDX
  fsgsbase: [7, CpuidReg.EBX, 0, true],
  smep: [7, CpuidReg.EBX, 7, false],
  invpcid: [7, CpuidReg.EBX, 10, true],
  rdseed: [7, CpuidReg.EBX, 18, true],
  smap: [7, CpuidReg.EBX, 20, false],
  clflushopt: [7, CpuidReg.EBX, 23, true],
  rdpid: [7, CpuidReg.ECX, 22, true],
  specCtrl: [7, CpuidReg.EDX, 26, true], // IA32_SPEC_CTRL / IA32_PRED_CMD (msr.ts); with IBRS_ALL Linux uses eIBRS, not retpolines
  archCapabilities: [7, CpuidReg.EDX, 29, true], // IA32_ARCH_CAPABILITIES reports "not affected" (msr.ts)
  bhiCtrl: [7, CpuidReg.EDX, 4, true, 2], // IA32_SPEC_CTRL.BHI_DIS_S accepted: Linux skips the BHB-clearing loop
  // ---- leaf 0xD subleaf 1 EAX (only meaningful with xsave)
  xsaveopt: [0xd, CpuidReg.EAX, 0, SIMD_FEATURES.xsaveopt, 1],
  xsavec: [0xd, CpuidReg.EAX, 1, SIMD_FEATURES.xsavec, 1],
  xgetbv1: [0xd, CpuidReg.EAX, 2, SIMD_FEATURES.xgetbv1, 1],
  xsaves: [0xd, CpuidReg.EAX, 3, SIMD_FEATURES.xsaves, 1],
  // ---- leaf 0x80000001 ECX / EDX
  lahfLm: [0x80000001, CpuidReg.ECX, 0, true],
  abm: [0x80000001, CpuidReg.ECX, 5, true], // LZCNT (bits.ts)
  prefetchw: [0x80000001, CpuidReg.ECX, 8, true],
  syscall: [0x80000001, CpuidReg.EDX, 11, true],
  nx: [0x80000001, CpuidReg.EDX, 20, true],
  pdpe1gb: [0x80000001, CpuidReg.EDX, 26, true],
  rdtscp: [0x80000001, CpuidReg.EDX, 27, true],
  lm: [0x80000001, CpuidReg.EDX, 29, true],
  // ---- leaf 0x80000007 EDX
  invariantTsc: [0x80000007, CpuidReg.EDX, 8, true],
} as const satisfies Record<string, readonly [number, CpuidReg, number, boolean] | readonly [number, CpuidReg, number, boolean, number]>;

export type Feature = keyof typeof FEATURES;

/** Is `f` implemented and advertised? Semantics call this at translate time. */
export const hasFeature = (f: Feature): boolean => FEATURES[f][3];

export interface CpuModelOptions {
  /** Physical address bits (CPUID 0x80000008 EAX[7:0]); 36..52, default 40. */
  physBits?: number;
  /** TSC frequency in kHz: the rate of the board's CpuBus.readTsc (default 1 GHz, a TSC in ns). */
  tscKhz?: number;
  /** LAPIC timer / crystal clock frequency in kHz (default 1 GHz, as QEMU's LAPIC). */
  busKhz?: number;
}

/** family 6, extended model 5, model 0xE, stepping 3 (CPUID.1:EAX). */
const SIGNATURE = 0x000506e3;
const MAX_BASIC = 0x16;
const MAX_EXT = 0x80000008;
const HV_MAX = 0x40000010;
const BRAND = "tsemu x86-64 CPU";

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Pack 4 ASCII characters little-endian into a register value. */
function ascii4(s: string, at: number): number {
  let v = 0;
  for (let i = 3; i >= 0; i--) v = (v << 8) | (s.charCodeAt(at + i) || 0);
  return v >>> 0;
}

export class CpuModel {
  readonly physBits: number;
  readonly tscKhz: number;
  readonly busKhz: number;
  /** Scratch result (EAX, EBX, ECX, EDX), reused by every query. */
  private readonly _r = new Uint32Array(4);

  constructor(opts: CpuModelOptions = {}) {
    this.physBits = opts.physBits ?? 40;
    this.tscKhz = opts.tscKhz ?? 1_000_000;
    this.busKhz = opts.busKhz ?? 1_000_000;
    if (!Number.isInteger(this.physBits) || this.physBits < 36 || this.physBits > 52)
      throw new ConfigError(`CPU physBits must be an integer in 36..52, got ${String(opts.physBits)}`);
    for (const [k, v] of [["tscKhz", this.tscKhz], ["busKhz", this.busKhz]] as const)
      if (!Number.isInteger(v) || v < 1000 || v > 100_000_000) throw new ConfigError(`CPU ${k} must be an integer in 1000..1e8, got ${v}`);
  }

  /** Feature bits of one leaf register from the table. */
  private _bits(leaf: number, reg: CpuidReg, sub = 0): number {
    let v = 0;
    for (const f of Object.values(FEATURES)) if (f[3] && f[0] === leaf && f[1] === reg && (f[4] ?? 0) === sub) v |= 1 << f[2];
    return v >>> 0;
  }

  /**
   * CPUID(leaf, subleaf) → [EAX, EBX, ECX, EDX] (a reused array). `cr4OsXsave`: CR4.OSXSAVE,
   * mirrored in CPUID.1:ECX.OSXSAVE; `xcr0`: the enabled XSAVE components (leaf 0DH EBX).
   */
  query(leaf: number, subleaf: number, cr4OsXsave = false, xcr0 = 3): Uint32Array {
    const r = this._r;
    r.fill(0);
    const l = leaf >>> 0;
    const set = (a: number, b: number, c: number, d: number): Uint32Array => { r[0] = a; r[1] = b; r[2] = c; r[3] = d; return r; };
    switch (l) {
      case 0: return set(MAX_BASIC, ascii4("GenuineIntel", 0), ascii4("GenuineIntel", 8), ascii4("GenuineIntel", 4));
      case 1: {
        let ecx = this._bits(1, CpuidReg.ECX);
        if (hasFeature("xsave") && cr4OsXsave) ecx |= 1 << 27;
        // EBX: CLFLUSH line 8 x 8 bytes, 1 logical processor, initial APIC ID 0.
        return set(SIGNATURE, (8 << 8) | (1 << 16), ecx >>> 0, this._bits(1, CpuidReg.EDX));
      }
      case 2: return set(0x00ff0001, 0, 0, 0); // descriptor 0xFF: use leaf 4
      case 4: return this._cacheLeaf(subleaf >>> 0);
      case 6: return set(this._bits(6, CpuidReg.EAX), 0, 0, 0);
      case 7: {
        // EAX of subleaf 0: the highest subleaf (2, for BHI_CTRL).
        const sub = subleaf >>> 0;
        if (sub > 2) return r;
        return set(sub === 0 ? 2 : 0, this._bits(7, CpuidReg.EBX, sub), this._bits(7, CpuidReg.ECX, sub), this._bits(7, CpuidReg.EDX, sub));
      }
      case 0xd: return this._xsaveLeaf(subleaf >>> 0, xcr0);
      case 0xb: {
        // One thread in one core (SDM 10.9 / leaf 0BH): level 0 SMT, level 1 core, then invalid.
        const s = subleaf >>> 0;
        if (s === 0) return set(0, 1, (1 << 8) | 0, 0);
        if (s === 1) return set(0, 1, (2 << 8) | 1, 0);
        return set(0, 0, s & 0xff, 0);
      }
      case 0x15: {
        // TSC = crystal * EBX / EAX; the crystal is the LAPIC timer clock.
        const g = gcd(this.tscKhz, this.busKhz);
        return set(this.busKhz / g, this.tscKhz / g, this.busKhz * 1000, 0);
      }
      case 0x16: return set(Math.floor(this.tscKhz / 1000), Math.floor(this.tscKhz / 1000), Math.floor(this.busKhz / 1000), 0);
      case 0x40000000: return set(HV_MAX, ascii4("TSemuTSemuTS", 0), ascii4("TSemuTSemuTS", 4), ascii4("TSemuTSemuTS", 8));
      case 0x40000010: return set(this.tscKhz, this.busKhz, 0, 0);
      case 0x80000000: return set(MAX_EXT, 0, 0, 0);
      case 0x80000001: return set(0, 0, this._bits(0x80000001, CpuidReg.ECX), this._bits(0x80000001, CpuidReg.EDX));
      case 0x80000002: case 0x80000003: case 0x80000004: {
        const at = (l - 0x80000002) * 16;
        return set(ascii4(BRAND, at), ascii4(BRAND, at + 4), ascii4(BRAND, at + 8), ascii4(BRAND, at + 12));
      }
      case 0x80000006: return set(0, 0, (1024 << 16) | (0x6 << 12) | 64, 0); // L2: 1 MiB, 8-way, 64-byte lines
      case 0x80000007: return set(0, 0, 0, this._bits(0x80000007, CpuidReg.EDX));
      case 0x80000008: return set(this.physBits | (48 << 8), 0, 0, 0);
      default: return r;
    }
  }

  /** Leaf 0DH (SDM vol 1 13.2): the XSAVE layout from fpu-state.ts; zero without XSAVE. */
  private _xsaveLeaf(sub: number, xcr0: number): Uint32Array {
    const r = this._r;
    if (!hasFeature("xsave")) return r;
    const [a, b, c, d] = xsaveCpuidLeaf(sub, xcr0);
    r[0] = a; r[1] = b; r[2] = c; r[3] = d;
    if (sub === 1) r[0] = this._bits(0xd, CpuidReg.EAX, 1);
    return r;
  }

  /** Leaf 4: deterministic cache parameters (L1d 32K, L1i 32K, L2 1M, L3 8M), one core. */
  private _cacheLeaf(sub: number): Uint32Array {
    const r = this._r;
    const caches: readonly [number, number, number, number][] = [
      // type (1 data, 2 code, 3 unified), level, ways, size in KiB
      [1, 1, 8, 32], [2, 1, 8, 32], [3, 2, 16, 1024], [3, 3, 16, 8192],
    ];
    const c = caches[sub];
    if (!c) return r;
    const [type, level, ways, kib] = c;
    const sets = (kib * 1024) / (ways * 64);
    r[0] = (type | (level << 5) | (1 << 8)) >>> 0; // self-initializing; 1 thread, 1 core per package
    r[1] = (((ways - 1) << 22) | 63) >>> 0;
    r[2] = sets - 1;
    r[3] = level === 3 ? 2 : 0; // L3 inclusive
    return r;
  }
}
