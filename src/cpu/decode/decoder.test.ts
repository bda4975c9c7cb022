/** Hand-written decoder cases for the tricky corners of the x86 encoding (SDM vol. 2 ch. 2). */

import { describe, expect, it } from "vitest";
import { decode } from "./decoder.js";
import { formatInsn } from "./format.js";
import { Prefix, RIP_BASE, Seg, type CodeMode, type DecodedInsn, type DecodeResult, type Operand } from "./insn.js";

function bytesAt(pc: number, hex: string, limit = Infinity): { readByte(a: number): number } {
  const b = hex.split(/\s+/).filter(Boolean).map((x) => parseInt(x, 16));
  return { readByte: (a: number) => (a - pc >= 0 && a - pc < Math.min(b.length, limit) ? (b[a - pc] ?? -1) : -1) };
}

function dec(hex: string, mode: CodeMode = 64, pc = 0x1000, csBase = 0): DecodeResult {
  return decode(bytesAt(pc, hex), pc, mode, csBase);
}

function ok(hex: string, mode: CodeMode = 64, pc = 0x1000, csBase = 0): DecodedInsn {
  const r = dec(hex, mode, pc, csBase);
  if ("fault" in r) throw new Error(`${hex}: ${JSON.stringify(r)}`);
  return r;
}

const op = (i: DecodedInsn, n: number): Operand => {
  const o = i.operands[n];
  if (!o) throw new Error(`no operand ${n}`);
  return o;
};

describe("prefixes and REX", () => {
  it("REX counts only immediately before the opcode", () => {
    expect(ok("48 66 89 c0").opSize).toBe(2); // REX then 66: REX ignored
    expect(ok("66 48 89 c0").opSize).toBe(8); // REX.W beats 66
    expect(ok("48 66 89 c0").prefixes & Prefix.REX).toBe(0);
  });
  it("byte registers: AH..BH without REX, SPL..DIL with any REX", () => {
    expect(op(ok("88 e0"), 1)).toEqual({ kind: "reg", reg: 0, size: 1, high8: true });
    expect(op(ok("40 88 e0"), 1)).toEqual({ kind: "reg", reg: 4, size: 1, high8: false });
    expect(op(ok("88 e0", 32), 1)).toEqual({ kind: "reg", reg: 0, size: 1, high8: true });
  });
  it("the last segment override wins; 64-bit mode ignores ES/CS/SS/DS", () => {
    expect((op(ok("26 64 8b 00", 32), 1) as { seg: Seg }).seg).toBe(Seg.FS);
    expect((op(ok("64 26 8b 00", 32), 1) as { seg: Seg }).seg).toBe(Seg.ES);
    expect((op(ok("2e 8b 00"), 1) as { seg: Seg }).seg).toBe(Seg.DS);
    expect((op(ok("65 8b 00"), 1) as { seg: Seg }).seg).toBe(Seg.GS);
  });
  it("the last of F2/F3 selects the SSE column; 66 falls back to the operand size for integer ops", () => {
    expect(ok("f2 f3 0f 10 c1").mnemonic).toBe("MOVSS");
    expect(ok("f3 f2 0f 10 c1").mnemonic).toBe("MOVSD");
    const p = ok("66 f3 0f b8 c1");
    expect([p.mnemonic, p.opSize]).toEqual(["POPCNT", 2]);
    expect([ok("66 0f bc c1").mnemonic, ok("66 0f bc c1").opSize]).toEqual(["BSF", 2]);
    expect(ok("f3 0f bc c1").mnemonic).toBe("TZCNT");
    expect(ok("66 0f 6f c1").mnemonic).toBe("MOVDQA");
    expect(ok("0f 6f c1").operands[0]).toEqual({ kind: "mmx", reg: 0 });
  });
  it("90 is NOP, PAUSE with F3, XCHG r8 with REX.B", () => {
    expect(ok("90").mnemonic).toBe("NOP");
    expect(ok("f3 90").mnemonic).toBe("PAUSE");
    const x = ok("41 90");
    expect([x.mnemonic, (op(x, 0) as { reg: number }).reg]).toEqual(["XCHG", 8]);
  });
});

describe("addressing", () => {
  it("16-bit forms, with SS for BP-based ones", () => {
    const a = op(ok("8b 46 02", 16), 1);
    expect(a).toMatchObject({ kind: "mem", base: 5, index: -1, disp: 2, seg: Seg.SS, addrSize: 2, size: 2 });
    expect(op(ok("00 00", 16), 0)).toMatchObject({ base: 3, index: 6, seg: Seg.DS, size: 1 });
    expect(op(ok("8b 06 34 12", 16), 1)).toMatchObject({ base: -1, index: -1, disp: 0x1234 });
    expect(op(ok("67 8b 45 08", 16), 1)).toMatchObject({ base: 5, seg: Seg.SS, disp: 8, addrSize: 4 });
  });
  it("SIB forms: no base, no index, R12/R13 bases", () => {
    expect(op(ok("8b 04 25 44 33 22 11"), 1)).toMatchObject({ base: -1, index: -1, disp: 0x11223344 });
    expect(op(ok("41 8b 04 24"), 1)).toMatchObject({ base: 12, index: -1 });
    expect(op(ok("41 8b 45 00"), 1)).toMatchObject({ base: 13, disp: 0, seg: Seg.DS });
    expect(op(ok("8b 45 f8", 32), 1)).toMatchObject({ base: 5, disp: -8, seg: Seg.SS });
    expect(op(ok("4a 8b 44 8d 10"), 1)).toMatchObject({ base: 5, index: 9, scale: 4, disp: 0x10 });
    expect(op(ok("8b 04 65 00 01 00 00", 32), 1)).toMatchObject({ base: -1, index: -1, disp: 0x100 }); // index=100: none
  });
  it("RIP-relative resolves to the absolute canonical address after the immediate", () => {
    const pc = -0x7f000000; // 0xffffffff81000000
    const i = ok("c7 05 10 00 00 00 78 56 34 12", 64, pc);
    expect(op(i, 0)).toMatchObject({ base: RIP_BASE, disp: pc + 10 + 0x10 });
    expect(op(ok("67 8b 05 00 00 00 00", 64, 0x7ffffff0), 1)).toMatchObject({ base: RIP_BASE, disp: 0x7ffffff7 });
    expect(op(ok("8b 05 00 00 00 00", 32), 1)).toMatchObject({ base: -1, disp: 0 }); // disp32 outside 64-bit mode
  });
  it("moffs use address-size-wide offsets", () => {
    expect(op(ok("a1 00 00 00 81 ff ff ff ff"), 1)).toMatchObject({ base: -1, disp: -0x7f000000, addrSize: 8 });
    expect(ok("a1 00 00 00 81 ff ff ff ff").len).toBe(9);
    expect(op(ok("67 a0 44 33 22 11"), 1)).toMatchObject({ disp: 0x11223344, addrSize: 4, size: 1 });
    expect(op(ok("a3 34 12", 16), 0)).toMatchObject({ disp: 0x1234, size: 2 });
  });
});

describe("immediates and branch targets", () => {
  it("MOV r64, imm64 and sign extension of Iz / Ib", () => {
    expect(op(ok("48 b8 88 77 66 55 44 33 22 11"), 1)).toEqual({ kind: "imm", size: 8, lo: 0x55667788, hi: 0x11223344 });
    expect(op(ok("48 83 c0 ff"), 1)).toEqual({ kind: "imm", size: 8, lo: 0xffffffff, hi: 0xffffffff });
    expect(op(ok("48 c7 c0 00 00 00 80"), 1)).toEqual({ kind: "imm", size: 8, lo: 0x80000000, hi: 0xffffffff });
    expect(op(ok("6a ff"), 0)).toEqual({ kind: "imm", size: 8, lo: 0xffffffff, hi: 0xffffffff });
    expect(op(ok("66 83 c0 80"), 1)).toEqual({ kind: "imm", size: 2, lo: 0xff80, hi: 0 });
    expect(op(ok("c1 e0 ff"), 1)).toEqual({ kind: "imm", size: 1, lo: 0xff, hi: 0 }); // shift count: not extended
  });
  it("ENTER's two immediates, far pointers, shift by one", () => {
    expect(ok("c8 10 00 01").operands).toEqual([{ kind: "imm", size: 2, lo: 0x10, hi: 0 }, { kind: "imm", size: 1, lo: 1, hi: 0 }]);
    expect(op(ok("9a 78 56 34 12 cd ab", 32), 0)).toEqual({ kind: "far", offset: 0x12345678, selector: 0xabcd });
    expect(op(ok("ea 34 12 00 f0", 16), 0)).toEqual({ kind: "far", offset: 0x1234, selector: 0xf000 });
    expect(op(ok("d1 e0"), 1)).toEqual({ kind: "imm", size: 1, lo: 1, hi: 0 });
  });
  it("relative targets: absolute, truncated to the operand size", () => {
    expect(op(ok("e8 00 00 00 00", 64, -0x7f000000), 0)).toEqual({ kind: "rel", target: -0x7f000000 + 5 });
    expect(op(ok("74 10", 16, 0xfffe), 0)).toEqual({ kind: "rel", target: 0x10 }); // 16-bit Jcc wraps
    expect(op(ok("74 10", 16, 0x1fffe, 0x10000), 0)).toEqual({ kind: "rel", target: 0x10 }); // IP, not linear
    expect(op(ok("e9 00 00 00 80", 32, 0x80000000), 0)).toEqual({ kind: "rel", target: 5 });
    expect(op(ok("66 e9 fd ff", 32, 0x12340000), 0)).toEqual({ kind: "rel", target: 0x0001 });
    const j = ok("66 e9 00 00 00 00"); // 64-bit: 66 ignored on near branches (Intel)
    expect([j.len, j.opSize]).toEqual([6, 8]);
    expect(ok("67 e3 fe").addrSize).toBe(4);
    expect(ok("0f 84 00 01 00 00").endsBlock).toBe(true);
  });
});

describe("system and group encodings", () => {
  it("MOV CR/DR ignore ModRM.mod and reject reserved registers", () => {
    expect(ok("0f 20 c0").operands).toEqual([{ kind: "reg", reg: 0, size: 8, high8: false }, { kind: "creg", reg: 0 }]);
    expect(op(ok("0f 22 18", 32), 0)).toEqual({ kind: "creg", reg: 3 }); // mod=00 still a register
    expect(ok("0f 22 18", 32).len).toBe(3);
    expect(op(ok("44 0f 20 c0"), 1)).toEqual({ kind: "creg", reg: 8 });
    expect(dec("0f 20 c8")).toMatchObject({ fault: "UD" });
    expect(dec("44 0f 21 c0")).toMatchObject({ fault: "UD" });
  });
  it("group 7 mod=11 specials and memory forms", () => {
    expect(ok("0f 01 d0").mnemonic).toBe("XGETBV");
    expect(ok("0f 01 f9").mnemonic).toBe("RDTSCP");
    expect(ok("0f 01 f8").mnemonic).toBe("SWAPGS");
    expect(dec("0f 01 f8", 32)).toMatchObject({ fault: "UD" });
    expect(ok("0f 01 38").mnemonic).toBe("INVLPG");
    expect(ok("0f 01 10").mnemonic).toBe("LGDT");
    expect(ok("0f 01 ca").mnemonic).toBe("CLAC");
    expect(ok("0f 01 10").privileged).toBe(true);
    expect(ok("0f 01 d0").privileged).toBe(false);
  });
  it("group 9, group 15, x87", () => {
    expect(op(ok("48 0f c7 0e"), 0)).toMatchObject({ size: 16 });
    expect(op(ok("f0 0f c7 0e"), 0)).toMatchObject({ size: 8 });
    expect(op(ok("48 0f c7 f0"), 0)).toEqual({ kind: "reg", reg: 0, size: 8, high8: false });
    expect(ok("0f ae e8").mnemonic).toBe("LFENCE");
    expect(ok("f3 48 0f ae c0").mnemonic).toBe("RDFSBASE");
    expect(ok("0f ae 10").mnemonic).toBe("LDMXCSR");
    expect(ok("d9 c1").operands).toEqual([{ kind: "st", reg: 1 }]);
    expect(op(ok("dd 1c 24"), 0)).toMatchObject({ size: 8, base: 4, seg: Seg.SS });
    expect(op(ok("db 2c 24"), 0)).toMatchObject({ size: 10 });
    expect(ok("df e0").mnemonic).toBe("FNSTSW");
  });
  it("mode-dependent rows", () => {
    expect(ok("63 c1").mnemonic).toBe("MOVSXD");
    expect(ok("63 c1", 32).mnemonic).toBe("ARPL");
    expect(dec("06")).toMatchObject({ fault: "UD" });
    expect(ok("06", 32).mnemonic).toBe("PUSH");
    expect(ok("40", 32).mnemonic).toBe("INC");
    expect(ok("c4 00", 32).mnemonic).toBe("LES");
  });
  it("string instructions: DS:rSI (overridable) and ES:rDI", () => {
    const m = ok("2e f3 a5", 32);
    expect(m.operands).toEqual([
      { kind: "mem", size: 4, seg: Seg.ES, base: 7, index: -1, scale: 1, disp: 0, addrSize: 4 },
      { kind: "mem", size: 4, seg: Seg.CS, base: 6, index: -1, scale: 1, disp: 0, addrSize: 4 },
    ]);
    expect(m.prefixes & Prefix.REP).toBeTruthy();
  });
  it("SSE/MMX registers with REX", () => {
    expect(ok("44 0f 28 c1").operands).toEqual([{ kind: "xmm", reg: 8, size: 16 }, { kind: "xmm", reg: 1, size: 16 }]);
    expect(op(ok("f3 0f 10 04 24"), 1)).toMatchObject({ kind: "mem", size: 4 });
    expect(ok("0f fc c1").operands).toEqual([{ kind: "mmx", reg: 0 }, { kind: "mmx", reg: 1 }]);
    expect(ok("66 48 0f 6e c0").mnemonic).toBe("MOVD");
    expect(op(ok("66 48 0f 6e c0"), 1)).toMatchObject({ size: 8 });
  });
});

describe("faults", () => {
  it("LOCK: only on lockable instructions with a memory destination", () => {
    expect(ok("f0 01 00").prefixes & Prefix.LOCK).toBeTruthy();
    expect(dec("f0 01 c0")).toMatchObject({ fault: "UD" });
    expect(dec("f0 8b 00")).toMatchObject({ fault: "UD" });
    expect(dec("f0 0f 22 c0")).toMatchObject({ fault: "UD" });
  });
  it("undefined encodings, MOV to CS, M operands with mod=11", () => {
    expect(dec("0f 0b")).toMatchObject({ mnemonic: "UD2" });
    expect(dec("0f 04")).toMatchObject({ fault: "UD" });
    expect(dec("d6", 32)).toMatchObject({ fault: "UD" });
    expect(dec("8e c8")).toMatchObject({ fault: "UD" });
    expect(dec("8d c0")).toMatchObject({ fault: "UD" });
    expect(dec("0f 01 c7")).toMatchObject({ fault: "UD" });
  });
  it("VEX/EVEX: #UD in 64-bit mode, and in 32-bit mode only when mod would be 11", () => {
    expect(dec("c5 f8 77")).toMatchObject({ fault: "UD", reason: "VEX not implemented" });
    expect(dec("c4 e2 79 00 c1", 32)).toMatchObject({ fault: "UD", reason: "VEX not implemented" });
    expect(dec("62 f1 7c 48 58 c1", 32)).toMatchObject({ fault: "UD", reason: "VEX not implemented" });
    expect(ok("c5 06", 32).mnemonic).toBe("LDS");
    expect(ok("62 00", 32).mnemonic).toBe("BOUND");
  });
  it("15-byte limit → #GP; unfetchable byte → #PF at its address", () => {
    expect(ok(`${"66 ".repeat(14)}90`).len).toBe(15);
    expect(dec(`${"66 ".repeat(15)}90`)).toMatchObject({ fault: "GP" });
    expect(decode(bytesAt(0x1000, "48 8b 05 00 00 00 00", 3), 0x1000, 64)).toEqual({ fault: "PF", pc: 0x1000, addr: 0x1003 });
    expect(decode(bytesAt(-0x1000, "0f", 1), -0x1000, 64)).toEqual({ fault: "PF", pc: -0x1000, addr: -0xfff });
  });
});

describe("format", () => {
  it("prints Intel syntax close to objdump", () => {
    expect(formatInsn(ok("48 89 e5"))).toBe("mov    rbp,rsp");
    expect(formatInsn(ok("f0 01 00"))).toBe("lock add DWORD PTR [rax],eax");
    expect(formatInsn(ok("48 8b 44 8d 10"))).toBe("mov    rax,QWORD PTR [rbp+rcx*4+0x10]");
    expect(formatInsn(ok("0f 84 00 01 00 00", 64, 0))).toBe("je     0x106");
    expect(formatInsn(ok("f3 a5", 32))).toBe("rep movs DWORD PTR es:[edi],DWORD PTR ds:[esi]");
    expect(formatInsn(ok("48 98"))).toBe("cdqe");
    expect(formatInsn(ok("8b 05 10 00 00 00", 64, 0))).toBe("mov    eax,DWORD PTR [rip+0x10]");
  });
});

describe("robustness", () => {
  it("never throws, and results are well-formed, on random bytes with random fetch faults", () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const modes: CodeMode[] = [16, 32, 64];
    const bad: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const bytes = Array.from({ length: 16 }, () => (rnd(4) === 0 ? [0x66, 0x67, 0xf2, 0xf3, 0x0f, 0x48][rnd(6)] ?? 0 : rnd(256)));
      const faultAt = rnd(3) === 0 ? rnd(16) : 99;
      const mode = modes[i % 3] ?? 64;
      // Outside 64-bit mode addresses are 32-bit and wrap (0xfffffff8 + 8 = 0).
      const pc = [0x1000, mode === 64 ? -0x7f000000 : 0xfffffff8][rnd(2)] ?? 0;
      const off = (a: number): number => (mode === 64 ? a - pc : (a - pc) >>> 0);
      const reader = { readByte: (a: number): number => (off(a) >= faultAt ? -1 : (bytes[off(a)] ?? -1)) };
      const r = decode(reader, pc, mode);
      const where = `${mode} ${bytes.map((b) => b.toString(16)).join(" ")}`;
      if ("fault" in r) {
        if (r.fault === "PF" && off(r.addr) !== faultAt) bad.push(`PF address ${where}`);
        continue;
      }
      if (r.len < 1 || r.len > Math.min(15, faultAt)) bad.push(`length ${where}`);
      for (const o of r.operands) {
        const ok = o.kind === "reg" ? o.reg >= 0 && o.reg < 16 && [1, 2, 4, 8].includes(o.size)
          : o.kind === "mem" ? o.base >= -1 && o.base <= RIP_BASE && o.index >= -1 && o.index < 16
          : o.kind === "imm" ? o.lo >>> 0 === o.lo && o.hi >>> 0 === o.hi
          : o.kind === "rel" ? Number.isSafeInteger(o.target) : true;
        if (!ok) bad.push(`operand ${JSON.stringify(o)} ${where}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });
});
