/**
 * Model-specific registers that are not in the CPU-state layout (SDM vol 4 ch. 2, vol 3 11.11
 * MTRRs): values the guest may write and read back but that change no emulated behaviour
 * (MTRRs, microcode signature, debug control), plus the power-on values of the MSR slots in
 * CPU state (PAT, IA32_APIC_BASE, MISC_ENABLE). State is plain data (getState/setState).
 */

import type { CpuState } from "./cpu-state.js";
import { MsrSlot, msrOff } from "./state-layout.js";

export interface MsrFileState {
  /** MSR number → [lo, hi]. */
  values: [number, number, number][];
  /** RDRAND/RDSEED generator state (xorshift128, four u32). */
  rng: [number, number, number, number];
}

/** IA32_MTRR_DEF_TYPE at reset: MTRRs enabled, default type write-back, no fixed ranges. */
const MTRR_DEF_TYPE_RESET = 0x806;

export class MsrFile {
  private readonly _values = new Map<number, [number, number]>();
  /** xorshift128 state; deterministic per machine (seeded by setSeed). */
  readonly rng = new Uint32Array([0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321]);

  /** Power-on values (SDM vol 3 table 9-1 and the MSR descriptions in vol 4). */
  reset(s: CpuState): void {
    this._values.clear();
    this._values.set(0x2ff, [MTRR_DEF_TYPE_RESET, 0]);
    s.set64(msrOff(MsrSlot.PAT), 0x00070406, 0x00070406);
    s.set64(msrOff(MsrSlot.APIC_BASE), 0xfee00900 | 0, 0); // BSP, xAPIC enabled, at 0xFEE00000
    s.set64(msrOff(MsrSlot.MISC_ENABLE), 1, 0); // fast-string enable
  }

  get(msr: number): [number, number] | undefined { return this._values.get(msr); }
  set(msr: number, lo: number, hi: number): void { this._values.set(msr, [lo | 0, hi | 0]); }

  /** Seed RDRAND/RDSEED (the board derives it from its own seed option). */
  setSeed(seed: number): void {
    this.rng.set([seed | 0 || 1, 0x9abcdef0, 0x0fedcba9, 0x87654321]);
    for (let i = 0; i < 16; i++) this.next32();
  }

  /** The next 32 random bits (xorshift128, Marsaglia 2003). */
  next32(): number {
    const r = this.rng;
    let t = r[3]!;
    const x = r[0]!;
    r[3] = r[2]!; r[2] = r[1]!; r[1] = x;
    t ^= t << 11;
    t ^= t >>> 8;
    r[0] = (t ^ x ^ (x >>> 19)) >>> 0;
    return r[0];
  }

  getState(): MsrFileState {
    return { values: [...this._values].map(([k, [lo, hi]]) => [k, lo, hi]), rng: [this.rng[0]!, this.rng[1]!, this.rng[2]!, this.rng[3]!] };
  }
  setState(st: MsrFileState): void {
    this._values.clear();
    for (const [k, lo, hi] of st.values) this._values.set(k, [lo, hi]);
    this.rng.set(st.rng);
  }
}
