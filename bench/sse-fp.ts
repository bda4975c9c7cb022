/**
 * SSE floating-point loop on the bare test CPU: the cost of MXCSR-exact SSE arithmetic's fast
 * path. A 64-bit loop of scalar and packed FP instructions (ADDSD, MULSD, DIVSD, SQRTSD, ADDPS,
 * MULPS, CVTSI2SD, CVTTSD2SI, UCOMISD) on values that stay normal, MXCSR at its default (PE
 * becomes set by the first inexact result, as in any real program). Run by hand:
 *   npx esbuild bench/sse-fp.ts --bundle --platform=node --format=esm --outfile=bench/.build/sse-fp.mjs
 *   node bench/.build/sse-fp.mjs [--iters N] [--runs N] [--clear-pe | --exact] [--mxcsr 0x9fe0] [--only "addsd xmm0, xmm1"]
 * --clear-pe reloads MXCSR = 0x1F80 every iteration (the slow path's worst case); --exact runs
 * an integer-valued mix with PE clear (the exactness checks); --mxcsr sets the MXCSR the mix
 * starts with (default 0x1FA0; 0x9FE0 = FTZ|DAZ as -ffast-math programs run).
 * Prints the best run's guest instructions per second of process CPU time.
 */
import { createTestCpu } from "../src/cpu/testing/test-cpu.js";
import { nasm } from "../test/helpers/nasm.js";

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const iters = opt("--iters", 5_000_000), runs = opt("--runs", 5);
const clearPe = args.includes("--clear-pe");
/** --only "INSN": the loop body is 9 copies of one instruction instead of the mix. */
const only = args.includes("--only") ? args[args.indexOf("--only") + 1]! : "";
/** --exact: integer-valued operands, MXCSR left at 0x1F80 (PE stays clear: every result must prove itself exact). */
const exact = args.includes("--exact");
const EXACT_BODY = ["addsd xmm0, xmm1", "mulsd xmm2, xmm3", "subsd xmm4, xmm1", "addpd xmm8, xmm9", "mulpd xmm10, xmm11",
  "cvtsi2sd xmm12, rcx", "cvttsd2si rax, xmm12", "ucomisd xmm0, xmm1", "addss xmm13, xmm14"].join("\n  ");
const BODY = ["addsd xmm0, xmm1", "mulsd xmm2, xmm3", "divsd xmm4, xmm5", "sqrtsd xmm6, xmm7", "addps xmm8, xmm9", "mulps xmm10, xmm11",
  "cvtsi2sd xmm12, rcx", "cvttsd2si rax, xmm12", "ucomisd xmm0, xmm1"].join("\n  ");

const code = nasm(`
  mov rax, cr4
  or eax, 0x600
  mov cr4, rax
  ${exact ? "" : "ldmxcsr [k_mxpe]"}
  movsd xmm0, [k_zero]
  movsd xmm1, [${exact ? "k_one" : "k_step"}]
  movsd xmm2, [${exact ? "k_two" : "k_one"}]
  movsd xmm3, [${exact ? "k_one" : "k_grow"}]
  movsd xmm4, [k_big]
  movsd xmm5, [k_grow]
  movsd xmm7, [k_two]
  movups xmm8, [${exact ? "v_i" : "v_a"}]
  movups xmm9, [${exact ? "v_i" : "v_b"}]
  movups xmm10, [${exact ? "v_i" : "v_a"}]
  movups xmm11, [${exact ? "v_one" : "v_c"}]
  movss xmm13, [k_f1]
  movss xmm14, [k_f1]
  mov rcx, ${iters}
next:
  ${clearPe ? "ldmxcsr [k_mx]" : ""}
  ${only ? Array(9).fill(only).join("\n  ") : exact ? EXACT_BODY : BODY}
  dec rcx
  jnz next
  mov al, 0x55
  mov dx, 0xf4
  out dx, al
  hlt
align 16
k_zero: dq 0.0
k_step: dq 0.001
k_one: dq 1.0
k_grow: dq 1.0000001
k_big: dq 1.0e100
k_two: dq 2.0
k_mx: dd 0x1f80, 0
k_mxpe: dd ${opt("--mxcsr", 0x1fa0)}, 0
align 16
v_a: dd 1.0, 2.0, 3.0, 4.0
v_b: dd 0.001, 0.002, 0.003, 0.004
v_c: dd 1.0000001, 0.9999999, 1.0000001, 0.9999999
v_i: dq 3.0, 5.0
v_one: dq 1.0, 1.0
k_f1: dd 1.0
`);

let best = 0;
for (let r = 0; r < runs; r++) {
  const t = createTestCpu(4 << 20);
  t.load(0x100000, code);
  t.enterLongMode();
  const c0 = process.cpuUsage();
  t.run(iters * 12 + 1000);
  const c1 = process.cpuUsage(c0);
  const ms = (c1.user + c1.system) / 1000; // CPU time: less sensitive to other load than wall time
  if (t.exitCode !== 0x55) throw new Error(`loop did not finish: ${t.logs.join("; ")}`);
  const mips = (iters * (clearPe ? 12 : 11)) / ms / 1000;
  best = Math.max(best, mips);
  console.log(`run ${r}: ${ms.toFixed(0)} ms, ${mips.toFixed(1)} M guest insns/s`);
}
console.log(`best: ${best.toFixed(1)} M guest insns/s (${iters} iterations${clearPe ? ", MXCSR reloaded each iteration" : ""})`);
