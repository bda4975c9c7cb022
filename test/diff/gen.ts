/**
 * Case generators shared by the differential test files: register names per size, operand
 * values biased to edge cases with random upper bits (so zero-extension and merging are
 * checked), and a runner that reports mismatches per instruction group.
 */

import { expect } from "vitest";
import { compare, compat32Available, DIFF_AVAILABLE, HOST_INTEL, report, Rng, runBoth, WIN, type DiffCase, type DiffRun, type Mode, type RegName } from "./harness.js";

export { DIFF_AVAILABLE };

export type Size = 1 | 2 | 4 | 8;
export const SIZES: readonly Size[] = [1, 2, 4, 8];
export const SIZE_WORD: Record<Size, string> = { 1: "byte", 2: "word", 4: "dword", 8: "qword" };

const R64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;
const R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const R8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];
const R8H = ["ah", "ch", "dh", "bh"];

/** nasm name of GPR `n` (0..15) at `size`; `high` picks AH..BH for n 0..3. */
export function reg(n: number, size: Size, high = false): string {
  if (high) return R8H[n]!;
  if (n >= 8) return `r${n}${size === 1 ? "b" : size === 2 ? "w" : size === 4 ? "d" : ""}`;
  return size === 8 ? R64[n]! : size === 4 ? R32[n]! : size === 2 ? R16[n]! : R8[n]!;
}
export const full = (n: number, mode: Mode = 64): RegName => (mode === 64 ? R64[n]! : R32[n]!) as RegName;

/** A full register value whose operand part (size bytes at bit `shift`) is an edge-biased value. */
export function value(rng: Rng, size: Size, shift = 0): bigint {
  const bits = size * 8;
  const m = ((1n << BigInt(bits)) - 1n) << BigInt(shift);
  return (rng.u64() & ~m) | ((rng.edge(bits) << BigInt(shift)) & m);
}

/** Little-endian bytes of v (size bytes). */
export function bytes(v: bigint, size: number): number[] {
  return Array.from({ length: size }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}

/** A window image with `v` (size bytes) at offset `at` and random bytes elsewhere. */
export function memWith(rng: Rng, at: number, v: bigint, size: number): number[] {
  const m = Array.from({ length: 128 }, () => rng.int(256));
  bytes(v, size).forEach((x, i) => { m[at + i] = x; });
  return m;
}

export const WIN_ADDR = WIN;

/** Groups of cases run as one program per mode; each group is checked by name. */
export class DiffSuite {
  private readonly _groups = new Map<string, { mode: Mode; cases: DiffCase[] }>();
  private readonly _runs = new Map<Mode, { run: DiffRun; all: DiffCase[]; ranges: Map<string, [number, number]> }>();

  add(group: string, mode: Mode, all: DiffCase[]): void {
    // Intel-only cases do not even run elsewhere: some fault on other vendors (a 66-prefixed
    // near jump truncates RIP to 16 bits on AMD).
    const cases = HOST_INTEL ? all : all.filter((c) => !c.intelOnly);
    const g = this._groups.get(group);
    if (g) g.cases.push(...cases); else this._groups.set(group, { mode, cases });
  }

  get groups(): string[] { return [...this._groups.keys()]; }

  /** The group cannot run on this host (32-bit code without the kernel's compatibility mode). */
  skips(group: string): boolean {
    return this._groups.get(group)?.mode === 32 && !compat32Available();
  }

  /** Run every group of `mode` in one program (native and tsemu). */
  run(mode: Mode, seed = 1): void {
    const all: DiffCase[] = [];
    const ranges = new Map<string, [number, number]>();
    for (const [name, g] of this._groups) {
      if (g.mode !== mode) continue;
      ranges.set(name, [all.length, all.length + g.cases.length]);
      all.push(...g.cases);
    }
    if (all.length === 0 || (mode === 32 && !compat32Available())) return;
    this._runs.set(mode, { run: runBoth(all, mode, seed), all, ranges });
  }

  /** Assert that the group agrees with the host. */
  check(group: string): void {
    const g = this._groups.get(group)!;
    const r = this._runs.get(g.mode)!;
    expect(r.run.unimp).toEqual([]);
    expect(r.run.stop).toBe("halt");
    const [from, to] = r.ranges.get(group)!;
    const ms = compare(r.all, r.run, g.mode).filter((m) => m.index >= from && m.index < to);
    expect(ms.length, `${group}: ${ms.length} of ${to - from} cases differ\n${report(ms)}`).toBe(0);
  }
}
