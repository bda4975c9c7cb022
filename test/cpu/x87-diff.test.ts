/**
 * Differential tests of the x87 semantics (through the JIT) against the host FPU. The
 * arithmetic runs under every precision control (single, double, extended) x rounding control;
 * results are compared as 80-bit images, with the whole status word (all exception flags,
 * ES, C0-C3, TOP) and EFLAGS. test/cpu/x87-exact.test.ts drives the helpers directly with
 * 80-bit edge-case operands.
 */
import { describe, expect, it } from "vitest";
import { fillBytes, rng, runEmu, runNative } from "./simd-harness.js";

interface X87Case { insn: string; cw?: number; memKind?: "f32" | "f64" | "int"; storeQ?: boolean }
const BYTES = 128;

function build(cases: X87Case[], reps: number, seed: number) {
  const r = rng(seed);
  const data = new Uint8Array(cases.length * reps * BYTES);
  const dv = new DataView(data.buffer);
  const lines: string[] = [];
  const names: string[] = [];
  let k = 0;
  for (const c of cases) {
    for (let rep = 0; rep < reps; rep++, k++) {
      const o = k * BYTES;
      fillBytes(dv, o, 16, "f64", r);
      if (rep % 3 === 2) { dv.setFloat64(o, ((r() % 20001) - 10000) / 64, true); dv.setFloat64(o + 8, ((r() % 201) - 100) / 8, true); }
      fillBytes(dv, o + 16, 16, c.memKind ?? "f64", r);
      if (c.memKind === "int" && rep % 2) dv.setInt32(o + 16, (r() % 2001) - 1000, true);
      dv.setUint16(o + 48, c.cw ?? 0x27f, true);
      dv.setUint32(o + 56, r(), true);
      names.push(c.insn);
      const st = c.storeQ ? "qword" : "tword";
      lines.push("fninit", `fldcw [rdi + ${o + 48}]`, `fld qword [rdi + ${o + 8}]`, `fld qword [rdi + ${o}]`,
        `mov rax, [rdi + ${o + 56}]`, "cmp eax, 0x80000000",
        c.insn.replace(/MEM/g, `[rdi + ${o + 16}]`),
        "pushfq", "pop rcx", "and ecx, 0x8d5", `mov [rdi + ${o + 68}], ecx`,
        "fnstsw ax", "and eax, 0xffff", `mov [rdi + ${o + 64}], eax`,
        `fstp ${st} [rdi + ${o + 80}]`, `fstp ${st} [rdi + ${o + 96}]`);
    }
  }
  return { body: lines.join("\n  "), data, names };
}

function check(cases: X87Case[], reps: number, seed: number): void {
  const { body, data, names } = build(cases, reps, seed);
  const native = runNative(body, data);
  const emu = runEmu(body, data);
  expect(emu.logs.filter((l) => l.includes("#UD"))).toEqual([]);
  expect(emu.exitCode).toBe(0x55);
  const hex = (a: Uint8Array, o: number, n: number) => [...a.subarray(o, o + n)].map((x) => x.toString(16).padStart(2, "0")).join("");
  const bad: string[] = [];
  names.forEach((n, k) => {
    const o = k * BYTES;
    for (const [what, off, len] of [["sw", 64, 4], ["flags", 68, 4], ["st0", 80, 10], ["st1", 96, 10], ["mem", 16, 16]] as const) {
      if (hex(emu.out, o + off, len) !== hex(native, o + off, len))
        bad.push(`${n} #${k} ${what}: emu=${hex(emu.out, o + off, len)} host=${hex(native, o + off, len)} in=${hex(native, o, 32)}`);
    }
  });
  expect(bad.slice(0, 12)).toEqual([]);
}

/** FCW with all exceptions masked under each precision control (24, 53, 64 bits) x rounding control. */
const PC_RC = [0x07f, 0x27f, 0x37f].flatMap((cw) => [0, 0x400, 0x800, 0xc00].map((rc) => cw | rc));
const regArith = ["fadd", "fsub", "fsubr", "fmul", "fdiv", "fdivr"].flatMap((op) => [`${op} st0, st1`, `${op} st1, st0`, `${op}p st1, st0`])
  .flatMap((insn) => PC_RC.map((cw): X87Case => ({ insn, cw })));
const memArith = ["fadd", "fsub", "fsubr", "fmul", "fdiv", "fdivr"].flatMap((op) => [
  { insn: `${op} qword MEM`, memKind: "f64" as const }, { insn: `${op} dword MEM`, memKind: "f32" as const },
  { insn: `fi${op.slice(1)} dword MEM`, memKind: "int" as const }, { insn: `fi${op.slice(1)} word MEM`, memKind: "int" as const }])
  .flatMap((c) => PC_RC.map((cw): X87Case => ({ ...c, cw })));

describe("x87 matches the host FPU bit for bit", () => {
  it("arithmetic, register and memory forms, every PC x RC", () => check([...regArith, ...memArith], 2, 21));
  it("compares, FCOMI flags, FXAM, FTST, FCMOV", () => check([
    "fcom st1", "fcomp st1", "fcompp", "fucom st1", "fucomp st1", "fucompp", "fcomi st0, st1", "fucomi st0, st1", "fcomip st0, st1",
    "fucomip st0, st1", "ftst", "fxam", "fcmovb st0, st1", "fcmove st0, st1", "fcmovbe st0, st1", "fcmovu st0, st1",
    "fcmovnb st0, st1", "fcmovne st0, st1", "fcmovnbe st0, st1", "fcmovnu st0, st1",
  ].map((insn): X87Case => ({ insn })).concat([{ insn: "fcom qword MEM", memKind: "f64" }, { insn: "ficomp dword MEM", memKind: "int" }]), 6, 22));
  it("loads, stores, integer conversions with each rounding mode", () => {
    const cases: X87Case[] = [];
    for (const cw of [0x27f, 0x67f, 0xa7f, 0xe7f]) {
      cases.push({ insn: "fist dword MEM", cw }, { insn: "fistp qword MEM", cw }, { insn: "fist word MEM", cw }, { insn: "frndint", cw },
        { insn: "fst dword MEM", cw }, { insn: "fbstp tword MEM", cw });
    }
    cases.push({ insn: "fisttp dword MEM" }, { insn: "fisttp qword MEM" }, { insn: "fisttp word MEM" }, { insn: "fstp qword MEM" },
      { insn: "fld qword MEM", memKind: "f64" }, { insn: "fld dword MEM", memKind: "f32" }, { insn: "fld tword MEM", memKind: "int" },
      { insn: "fild word MEM", memKind: "int" }, { insn: "fild dword MEM", memKind: "int" }, { insn: "fild qword MEM", memKind: "int" },
      { insn: "fild qword MEM\n fistp qword MEM", memKind: "int" },
      { insn: "fstp tword MEM" }, { insn: "fld st1" }, { insn: "fst st1" }, { insn: "fstp st1" }, { insn: "fxch st1" },
      { insn: "fld1" }, { insn: "fldz" }, { insn: "fldpi", storeQ: true }, { insn: "fldl2e", storeQ: true }, { insn: "fldln2", storeQ: true },
      { insn: "fldlg2", storeQ: true }, { insn: "fldl2t", storeQ: true }, { insn: "ffree st1" }, { insn: "fincstp" }, { insn: "fdecstp" },
      { insn: "fld st0\n fld st0\n fld st0\n fld st0\n fld st0\n fld st0\n fld st0" },
      // MMX aliasing: an MMX write marks every register valid with TOP = 0 (then FLD overflows)
      { insn: "movq mm1, MEM\n fld1", memKind: "int" }, { insn: "movq mm0, MEM\n emms\n fld1", memKind: "int" },
      { insn: "movq mm7, MEM", memKind: "int" }, { insn: "fstp st0\n fld1\n movq MEM, mm6", memKind: "int" });
    check(cases, 6, 23);
  });
  it("unary and scaling operations", () => check(["fchs", "fabs", "fsqrt", "fscale", "fxtract", "fprem", "fprem1", "fnclex", "frndint"]
    .flatMap((insn) => PC_RC.map((cw): X87Case => ({ insn, cw }))), 3, 24));
});

describe("x87 transcendental and environment instructions", () => {
  it("computes FSIN/FCOS/FPTAN/FPATAN/F2XM1/FYL2X/FYL2XP1/FSINCOS close to the host", () => {
    const ops = ["fsin", "fcos", "fptan\n fstp st0", "fpatan", "f2xm1", "fyl2x", "fyl2xp1", "fsincos\n fstp st0"];
    const lines: string[] = [];
    const xs = [0.5, -0.25, 0.75, 1e-3];
    let o = 0;
    for (const op of ops) for (const _ of xs) {
      lines.push("fninit", `fld qword [rdi + ${o + 8}]`, `fld qword [rdi + ${o}]`, op, `fstp qword [rdi + ${o + 16}]`);
      o += 32;
    }
    const data = new Uint8Array(o);
    const dv = new DataView(data.buffer);
    for (let i = 0, p = 0; i < ops.length; i++) for (const x of xs) { dv.setFloat64(p, x, true); dv.setFloat64(p + 8, 1.5, true); p += 32; }
    const body = lines.join("\n  ");
    const native = new DataView(runNative(body, data).buffer);
    const emu = runEmu(body, data);
    const e = new DataView(emu.out.buffer, emu.out.byteOffset);
    for (let p = 0; p < o; p += 32) {
      const want = native.getFloat64(p + 16, true), got = e.getFloat64(p + 16, true);
      if (Number.isNaN(want)) expect(got).toBeNaN(); else expect(got).toBeCloseTo(want, 12);
    }
  });
  it("FNSTENV/FLDENV/FNSAVE/FRSTOR, FNSTSW AX, FLDCW/FNSTCW round trips", () => {
    const body = `
      fninit
      fld1
      fldpi
      fnstenv [rdi]
      fldz
      fldenv [rdi]
      fstp tword [rdi + 32]
      fnsave [rdi + 64]
      fld1
      frstor [rdi + 64]
      fstp tword [rdi + 48]
      fnstsw ax
      mov [rdi + 200], ax
      mov word [rdi + 210], 0x0e7f
      fldcw [rdi + 210]
      fnstcw [rdi + 212]
      o16 fnstenv [rdi + 240]
      o16 fldenv [rdi + 240]
      o16 fnsave [rdi + 260]
      o16 frstor [rdi + 260]
      fnstsw [rdi + 214]`;
    const data = new Uint8Array(512);
    const native = runNative(body, data);
    const emu = runEmu(body, data).out;
    const pick = (a: Uint8Array) => [...a.subarray(0, 12), ...a.subarray(32, 58), ...a.subarray(64, 76), ...a.subarray(92, 172), ...a.subarray(200, 216), ...a.subarray(240, 246), ...a.subarray(260, 266), ...a.subarray(274, 354)];
    const hex = (a: number[]) => a.map((x) => x.toString(16).padStart(2, "0")).join(" ");
    expect(hex(pick(emu))).toEqual(hex(pick(native)));
  });
  it("FNSTENV records the last instruction's FIP, FOP and FDP as the host does", () => {
    // FIP and FDP relative to the instruction's and the operand's addresses (the code and the
    // buffer sit at different addresses on the host); then a register instruction keeps FDP.
    const body = `
      fninit
      fld qword [rdi + 64]
    l1: fadd qword [rdi + 72]
      fnstenv [rdi]
      fldcw [rdi]
      lea rax, [rel l1]
      mov [rdi + 32], eax
      lea rax, [rdi + 72]
      mov [rdi + 36], eax
      fld1
    l2: fsubr st0, st1
      fnstenv [rdi + 128]
      lea rax, [rel l2]
      mov [rdi + 40], eax`;
    const pick = (a: Uint8Array): number[] => {
      const dv = new DataView(a.buffer, a.byteOffset);
      const u = (o: number): number => dv.getUint32(o, true);
      return [u(12) - u(32), u(16) >>> 16, u(20) - u(36), u(128 + 12) - u(40), u(128 + 16) >>> 16, u(128 + 20) - u(36)];
    };
    const data = new Uint8Array(256);
    expect(pick(runEmu(body, data).out)).toEqual(pick(runNative(body, data)));
  });
});
