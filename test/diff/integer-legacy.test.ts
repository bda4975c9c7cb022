/**
 * Differential tests (host CPU in 32-bit compatibility mode vs tsemu in protected mode) of the
 * instructions invalid in 64-bit mode — DAA DAS AAA AAS AAM AAD, PUSHA/POPA, BOUND — and of
 * 32-bit code generally: 16-bit operands and addresses, stack operations, ENTER/LEAVE, LOOP.
 * Plus tsemu-only checks of the faults: AAM 0 -> #DE, BOUND out of range -> #BR.
 */

import { beforeAll, describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";
import { F, Rng, WIN, type DiffCase } from "./harness.js";
import { DIFF_AVAILABLE, DiffSuite, bytes } from "./gen.js";

const rng = new Rng(0xd4);
const suite = new DiffSuite();
const flags = (): number => rng.u32() & 0x8d5;
const ALL = 0x8d5;

function bcdCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (const op of ["daa", "das", "aaa", "aas"]) {
    // Every AL with every CF/AF combination, then random AH and flags.
    for (let al = 0; al < 256; al += op.startsWith("d") ? 1 : 3) {
      for (const f of [0, F.CF, F.AF, F.CF | F.AF]) {
        out.push({
          asm: op, regs: { eax: BigInt((rng.u32() & 0xffffff00) >>> 0) | BigInt(al) }, flags: f | (flags() & ~(F.CF | F.AF)),
          undefIntel: op.startsWith("d") ? F.OF : F.OF | F.SF | F.ZF | F.PF,
        });
      }
    }
  }
  for (const op of ["aam", "aad"]) {
    for (const base of [10, 1, 2, 7, 16, 255, 0x80]) {
      for (let i = 0; i < 40; i++) out.push({ asm: `${op} ${base}`, regs: { eax: BigInt(rng.u32()) }, flags: flags(), undefIntel: F.OF | F.AF | F.CF });
    }
  }
  return out;
}

function stackCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (let i = 0; i < 10; i++) {
    const regs = { eax: BigInt(rng.u32()), ecx: BigInt(rng.u32()), edx: BigInt(rng.u32()), ebx: BigInt(rng.u32()), ebp: BigInt(rng.u32()), esi: BigInt(rng.u32()), edi: BigInt(rng.u32()) };
    out.push({ asm: "pushad", regs });
    out.push({ asm: "pushaw", regs });
    out.push({ asm: "popad", regs });
    out.push({ asm: "popaw", regs });
    out.push({ asm: "pushad\nxor eax, eax\nxor edi, edi\npopad", regs });
    out.push({ asm: "push word 0x1234\npush dword -7\npush ax\npush esi\npop ax\npop ebx\npop ecx\npop dx", regs });
    for (const level of [0, 1, 2, 4]) {
      out.push({ asm: `enter ${rng.int(8) * 4}, ${level}`, regs: { ...regs, ebp: BigInt(WIN + 96 + rng.int(4) * 4) } });
      out.push({ asm: `o16 enter ${rng.int(8) * 2}, ${level}`, regs: { ...regs, ebp: BigInt(WIN + 96 + rng.int(4) * 2) } });
    }
    out.push({ asm: "leave", regs: { ...regs, ebp: BigInt(WIN + 64 + rng.int(8) * 4) } });
    out.push({ asm: "o16 leave", regs: { ...regs, ebp: BigInt(WIN + 64 + rng.int(8) * 2) } });
  }
  return out;
}

function boundCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (let i = 0; i < 30; i++) {
    const lo = rng.u32() | 0, hi = lo + rng.int(1000);
    if (hi > 0x7fffffff) continue;
    const idx = lo + rng.int(hi - lo + 1);
    const mem = [...bytes(BigInt.asUintN(32, BigInt(lo)), 4), ...bytes(BigInt.asUintN(32, BigInt(hi)), 4)];
    out.push({ asm: "bound ecx, [esi]", regs: { esi: BigInt(WIN), ecx: BigInt.asUintN(32, BigInt(idx)) }, mem });
    const lo16 = (lo << 16) >> 16, hi16 = Math.min(lo16 + rng.int(100), 0x7fff);
    const mem16 = [...bytes(BigInt.asUintN(16, BigInt(lo16)), 2), ...bytes(BigInt.asUintN(16, BigInt(hi16)), 2)];
    out.push({ asm: "bound dx, [esi]", regs: { esi: BigInt(WIN), edx: BigInt.asUintN(16, BigInt(lo16 + rng.int(hi16 - lo16 + 1))) }, mem: mem16 });
  }
  return out;
}

function mode32Cases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (let i = 0; i < 12; i++) {
    const r = { eax: BigInt(rng.u32()), ebx: BigInt(rng.u32()), ecx: BigInt(rng.u32()), edx: BigInt(rng.u32()), esi: BigInt(rng.u32()), edi: BigInt(rng.u32()) };
    out.push({ asm: "lea ax, [bx+si+0x1234]\nlea ecx, [bp+di-5]\nlea edx, [di]\nlea esi, [ebx+ecx*4+0x100]", regs: r });
    out.push({ asm: "add ax, bx\nadc cx, dx\nsbb si, di\nimul bx, cx, -3\nmovzx edx, al\nmovsx esi, ah", regs: r, undef: F.SF | F.ZF | F.AF | F.PF });
    out.push({ asm: "xchg ax, bx\nxchg ecx, edx\nbswap esi\ncwd\ncdq\ncbw\ncwde", regs: r });
    out.push({ asm: "mul ecx\nimul bx\nshld esi, edi, 7\nshrd di, si, cl", regs: { ...r, ecx: BigInt(rng.u32() & 0xffffff1f) }, undef: ALL });
    out.push({ asm: `a16 loop .l${i}\ninc eax\n.l${i}:\njcxz .m${i}\ninc ebx\n.m${i}:`, regs: { ...r, ecx: BigInt(rng.u32() & 0xffff0003) } });
    out.push({ asm: "rol ax, 3\nrcr bl, 1\nbt ecx, edx\nsetc al\nbsf ebx, edx\nbtc esi, 5", regs: r, undef: ALL });
    out.push({ asm: "cmpxchg8b [esi]", regs: { ...r, esi: BigInt(WIN) } });
    const lo = BigInt(rng.u32()), hi = BigInt(rng.u32());
    out.push({ asm: "lock cmpxchg8b [esi]", regs: { ...r, esi: BigInt(WIN), eax: lo, edx: hi }, mem: [...bytes(lo, 4), ...bytes(hi, 4)] });
    out.push({ asm: "cmpxchg [esi+8], cx\nxadd [esi+12], ebx\ncmpxchg bl, dh", regs: { ...r, esi: BigInt(WIN) } });
    out.push({ asm: "xlatb", regs: { ...r, ebx: BigInt(WIN), eax: BigInt(rng.u32() & 0xffffff7f) } });
  }
  return out;
}

suite.add("DAA/DAS/AAA/AAS/AAM/AAD", 32, bcdCases());
suite.add("PUSHA/POPA/segment pushes/ENTER/LEAVE", 32, stackCases());
suite.add("BOUND (in range)", 32, boundCases());
suite.add("32-bit code: 16-bit operands and addresses", 32, mode32Cases());

describe.skipIf(!DIFF_AVAILABLE)("legacy instructions vs host CPU (32-bit code)", () => {
  beforeAll(() => { suite.run(32); }, 120_000);
  for (const g of suite.groups) it.skipIf(suite.skips(g))(g, () => suite.check(g));
});

describe("legacy instruction faults (tsemu only)", () => {
  /** Run 32-bit code with an IDT whose gates record the vector in EBX and stop. */
  function runWithIdt(code: string): { vector: number; eax: number } {
    const t = createTestCpu();
    t.load(0x100000, nasm(`
      lidt [idtr]
      mov ebx, -1
      ${code}
      jmp stop
    gate0: mov ebx, 0
      jmp stop
    gate5: mov ebx, 5
    stop:
      mov dx, 0xf4
      mov al, 1
      out dx, al
      hlt
    idtr: dw 6 * 8 - 1
      dd idt
    idt:
      dw (gate0 - $$ + 0x100000) & 0xffff, 0x18, 0x8e00, (gate0 - $$ + 0x100000) >> 16
      times 4 dq 0
      dw (gate5 - $$ + 0x100000) & 0xffff, 0x18, 0x8e00, (gate5 - $$ + 0x100000) >> 16`, 32));
    t.enterProtectedMode();
    t.run();
    return { vector: t.cpu.state.reg(3) | 0, eax: t.cpu.state.reg(0) };
  }

  it("AAM 0 raises #DE", () => {
    expect(runWithIdt("mov eax, 0x1234\naam 0").vector).toBe(0);
    expect(runWithIdt("mov eax, 0x1234\naam 16").vector).toBe(-1);
  });

  it("BOUND raises #BR when the index is out of range", () => {
    expect(runWithIdt("mov dword [0x5000], 10\nmov dword [0x5004], 20\nmov ecx, 21\nbound ecx, [0x5000]").vector).toBe(5);
    expect(runWithIdt("mov dword [0x5000], 10\nmov dword [0x5004], 20\nmov ecx, 9\nbound ecx, [0x5000]").vector).toBe(5);
    expect(runWithIdt("mov dword [0x5000], 10\nmov dword [0x5004], 20\nmov ecx, 20\nbound ecx, [0x5000]").vector).toBe(-1);
  });
});
