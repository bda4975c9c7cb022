/**
 * Differential harness for the MMX/SSE/x87 tests: the same nasm-assembled function runs on the
 * host CPU (a tiny gcc-built loader maps it executable and calls it with RDI = a data buffer)
 * and in the emulator (test CPU in long mode, same buffer at guest 0x300000), and the buffers
 * it wrote are compared. Cases are generated from instruction templates: each case loads
 * xmm0/xmm1/mm0/mm1/rax/x87 inputs from its input block, runs one instruction, and stores the
 * registers and the arithmetic flags to its output block.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { StateOff } from "../../src/cpu/state-layout.js";
import { FCW_INIT, FpuOff, MXCSR_INIT } from "../../src/cpu/fpu-state.js";
import { nasm } from "../helpers/nasm.js";

const LOADER_C = `
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
static unsigned char code[1 << 21];
static unsigned char data[1 << 20] __attribute__((aligned(4096)));
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  FILE *f = fopen(argv[1], "rb"); size_t n = fread(code, 1, sizeof code, f); fclose(f);
  f = fopen(argv[2], "rb"); size_t m = fread(data, 1, sizeof data, f); fclose(f);
  void *p = mmap(0, n, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 3;
  memcpy(p, code, n);
  ((void (*)(void *))p)(data);
  f = fopen(argv[3], "wb"); fwrite(data, 1, m, f); fclose(f);
  return 0;
}
`;

let loaderPath: string | null = null;
function loader(): string {
  if (loaderPath) return loaderPath;
  const dir = join(tmpdir(), `tsemu-simd-loader-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, "loader");
  if (!existsSync(exe)) {
    writeFileSync(join(dir, "loader.c"), LOADER_C);
    execFileSync("gcc", ["-O1", "-o", exe, join(dir, "loader.c")]);
  }
  return (loaderPath = exe);
}

/** Save/restore the callee-saved registers around the body (SysV ABI), and the FP control state. */
const wrap = (body: string): string => `
  push rbx
  push rbp
  push r12
  push r13
  push r14
  push r15
  sub rsp, 24
  stmxcsr [rsp]
  fnstcw [rsp + 8]
  ${body}
  ldmxcsr [rsp]
  fninit
  fldcw [rsp + 8]
  add rsp, 24
  pop r15
  pop r14
  pop r13
  pop r12
  pop rbp
  pop rbx
  ret`;

export function runNative(body: string, data: Uint8Array): Uint8Array {
  const code = nasm(wrap(body), 64, 0);
  const dir = join(tmpdir(), `tsemu-simd-run-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "code.bin"), code);
  writeFileSync(join(dir, "in.bin"), data);
  execFileSync(loader(), [join(dir, "code.bin"), join(dir, "in.bin"), join(dir, "out.bin")]);
  return new Uint8Array(readFileSync(join(dir, "out.bin")));
}

export const GUEST_DATA = 0x300000;

export function runEmu(body: string, data: Uint8Array, budget = 5_000_000): { out: Uint8Array; logs: string[]; exitCode: number | undefined } {
  const t = createTestCpu(8 << 20);
  t.load(0x100000, nasm(wrap(body), 64, 0x100000));
  t.load(0x200000, nasm(`mov rdi, ${GUEST_DATA}\n call 0x100000\n mov al, 0x55\n mov dx, 0xf4\n out dx, al\n hlt`, 64, 0x200000));
  t.load(GUEST_DATA, data);
  t.enterLongMode(0x200000);
  const s = t.cpu.state;
  s.set64(StateOff.CR4, s.cr4 | (1 << 9) | (1 << 10) | (1 << 18), 0); // OSFXSR OSXMMEXCPT OSXSAVE
  s.set64(0x200 + 13 * 8, 3, 0); // XCR0 = x87 | SSE
  s.set32(StateOff.MXCSR, MXCSR_INIT);
  s.set32(FpuOff.FCW, FCW_INIT);
  t.cpu.modeChanged();
  t.run(budget);
  return { out: t.ram.slice(GUEST_DATA, GUEST_DATA + data.length), logs: t.logs, exitCode: t.exitCode };
}

/** xorshift32: deterministic test inputs. */
export function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return x >>> 0;
  };
}

const F32_SPECIAL = [0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001,
  0x00000001, 0x807fffff, 0x7f7fffff, 0x00800000, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0x3f000000, 0x40400000];
const F64_SPECIAL: [number, number][] = [[0, 0], [0, 0x80000000], [0, 0x3ff00000], [0, 0xbff00000], [0, 0x7ff00000], [0, 0xfff00000],
  [0, 0x7ff80000], [1, 0xfff80000], [1, 0x7ff00000], [1, 0], [0xffffffff, 0x800fffff], [0xffffffff, 0x7fefffff],
  [0, 0x41e00000], [0, 0xc1e00000], [0xffc00000, 0x41dfffff], [0, 0x43e00000], [0, 0x3fe00000], [0, 0x3ff80000], [0, 0x40040000]];

export type Fill = "int" | "f32" | "f64" | "str";

/** Fill `n` bytes with random values, biased to special floats for FP fills. */
export function fillBytes(dv: DataView, off: number, n: number, kind: Fill, r: () => number): void {
  for (let i = 0; i < n; i += 4) dv.setUint32(off + i, r(), true);
  if (kind === "str") {
    for (let i = 0; i < n; i++) dv.setUint8(off + i, r() % 11 === 0 ? 0 : [0x61, 0x62, 0x63, 0x64, 0xe1, 0x41][r() % 6]!);
    return;
  }
  if (kind === "int") {
    if (r() % 4 === 0) for (let i = 0; i < n; i++) if (r() % 3 === 0) dv.setUint8(off + i, [0, 0x7f, 0x80, 0xff][r() % 4]!);
    return;
  }
  if (kind === "f32") {
    for (let i = 0; i < n; i += 4) {
      const k = r() % 4;
      if (k === 0) dv.setUint32(off + i, F32_SPECIAL[r() % F32_SPECIAL.length]!, true);
      else if (k === 1) dv.setFloat32(off + i, ((r() % 2001) - 1000) / 8, true);
    }
    return;
  }
  for (let i = 0; i < n; i += 8) {
    const k = r() % 4;
    if (k === 0) { const [lo, hi] = F64_SPECIAL[r() % F64_SPECIAL.length]!; dv.setUint32(off + i, lo, true); dv.setUint32(off + i + 4, hi, true); }
    else if (k === 1) dv.setFloat64(off + i, ((r() % 2001) - 1000) / 8, true);
  }
}

export interface CaseSpec {
  /** nasm text of the instruction; IN is replaced by the address of the case's 16-byte memory input. */
  insn: string;
  fill: Fill;
  /** MXCSR to load before the instruction; the MXCSR after it is stored to the case's bytes 60..63 and compared. */
  mxcsr?: number;
}

/** Layout of one case: input block (xmm0, xmm1, memory operand, rax) then output block. */
export const CASE_BYTES = 128;

/** Build the body and input data for a list of cases; each case is repeated `reps` times with fresh inputs. */
export function buildCases(specs: CaseSpec[], reps: number, seed: number): { body: string; data: Uint8Array; names: string[] } {
  const r = rng(seed);
  const n = specs.length * reps;
  const data = new Uint8Array(n * CASE_BYTES);
  const dv = new DataView(data.buffer);
  const lines: string[] = [];
  const names: string[] = [];
  let k = 0;
  for (const spec of specs) {
    for (let rep = 0; rep < reps; rep++, k++) {
      const base = k * CASE_BYTES;
      fillBytes(dv, base, 56, spec.fill, r);
      if (spec.mxcsr !== undefined) { dv.setUint32(base + 56, spec.mxcsr, true); dv.setUint32(base + 124, MXCSR_INIT, true); }
      names.push(spec.insn);
      const mem = `[rdi + ${base + 32}]`;
      lines.push(
        `movdqu xmm0, [rdi + ${base}]`, `movdqu xmm1, [rdi + ${base + 16}]`, `mov rax, [rdi + ${base + 48}]`,
        `movq mm0, [rdi + ${base}]`, `movq mm1, [rdi + ${base + 16}]`,
        "xor ecx, ecx",
        ...(spec.mxcsr === undefined ? [] : [`ldmxcsr [rdi + ${base + 56}]`]),
        spec.insn.replace(/IN/g, mem),
        ...(spec.mxcsr === undefined ? [] : [`stmxcsr [rdi + ${base + 60}]`, `ldmxcsr [rdi + ${base + 124}]`]),
        `mov [rdi + ${base + 116}], ecx`,
        "pushfq",
        `movdqu [rdi + ${base + 64}], xmm0`, `movdqu [rdi + ${base + 80}], xmm1`, `mov [rdi + ${base + 96}], rax`,
        `movq [rdi + ${base + 104}], mm0`, "pop rcx", "and ecx, 0x8d5", `mov [rdi + ${base + 112}], ecx`,
      );
    }
  }
  lines.push("emms");
  return { body: lines.join("\n  "), data, names };
}

/** Compare the output blocks; returns one line per mismatching case. */
export function diffCases(names: string[], emu: Uint8Array, native: Uint8Array): string[] {
  const hex = (a: Uint8Array, o: number, n: number): string => [...a.subarray(o, o + n)].map((x) => x.toString(16).padStart(2, "0")).join("");
  const bad: string[] = [];
  names.forEach((name, k) => {
    const o = k * CASE_BYTES;
    for (const [what, off, len] of [["xmm0", 64, 16], ["xmm1", 80, 16], ["rax", 96, 8], ["mm0", 104, 8], ["flags", 112, 4], ["ecx", 116, 4], ["mem", 32, 16], ["mxcsr", 60, 4]] as const) {
      const e = hex(emu, o + off, len), h = hex(native, o + off, len);
      if (e !== h) bad.push(`${name} #${k}: ${what} emu=${e} host=${h} in=${hex(native, o, 56)}`);
    }
  });
  return bad;
}
