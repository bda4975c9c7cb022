/**
 * x87-heavy guest loop for the soft-float cost: N iterations (default 200000) of FLD ST0, FMUL,
 * FADD m64, FDIV, FSQRT, FSTP m64 on the test CPU. Run: npx vite-node bench/x87-loop.ts
 */
import { createTestCpu } from "../src/cpu/testing/test-cpu.js";
import { nasm } from "../test/helpers/nasm.js";
const N = Number(process.env.N ?? 200000);
const code = nasm(`
  fninit
  mov rcx, ${N}
  mov rdi, 0x300000
  fld1
  fld qword [rel k]
loop:
  fld st0
  fmul st0, st2
  fadd qword [rel k]
  fdiv st0, st1
  fsqrt
  fstp qword [rdi]
  dec rcx
  jnz loop
  mov al, 0x55
  mov dx, 0xf4
  out dx, al
  hlt
k: dq 1.000001
`, 64, 0x100000);
const t = createTestCpu(8 << 20);
t.load(0x100000, code);
t.enterLongMode(0x100000);
const t0 = performance.now();
t.run(50_000_000);
const ms = performance.now() - t0;
console.log(`exit=${t.exitCode} ${N} iterations (6 x87 insns each): ${ms.toFixed(0)} ms, ${(N * 6 / ms / 1000).toFixed(2)} M x87 insn/s`);
