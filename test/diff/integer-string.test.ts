/**
 * String instructions: differential tests of MOVS STOS LODS CMPS SCAS (every size, no prefix /
 * REP / REPE / REPNE, DF up and down, 64/32/16-bit address sizes, counts around the REP chunk
 * size), plus tsemu-only checks of INS/OUTS through the test CPU's ports and of REP being
 * restartable when the instruction budget runs out mid-string.
 */

import { beforeAll, describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { REP_UNROLL } from "../../src/cpu/semantics/string.js";
import { nasm } from "../helpers/nasm.js";
import { F, LOW_MEMORY_OK, Rng, WIN, type DiffCase, type Mode } from "./harness.js";
import { DIFF_AVAILABLE, DiffSuite } from "./gen.js";

const rng = new Rng(0xc3);
const suite = new DiffSuite();
const SUFFIX = { 1: "b", 2: "w", 4: "d", 8: "q" } as const;
const COUNTS = [0, 1, 2, 3, REP_UNROLL - 1, REP_UNROLL, REP_UNROLL + 1, 2 * REP_UNROLL + 3, 15];

/** Window bytes where the destination half (64..127) mostly equals the source half (0..63). */
function similarMem(): number[] {
  const m = Array.from({ length: 128 }, () => rng.int(256));
  for (let i = 0; i < 64; i++) m[64 + i] = m[i]!;
  const changes = rng.int(3);
  for (let k = 0; k < changes; k++) m[64 + rng.int(64)] = rng.int(256);
  return m;
}

function stringCases(mode: Mode): DiffCase[] {
  const out: DiffCase[] = [];
  const sizes = mode === 64 ? ([1, 2, 4, 8] as const) : ([1, 2, 4] as const);
  const [si, di, cx, ax] = mode === 64 ? ["rsi", "rdi", "rcx", "rax"] : ["esi", "edi", "ecx", "eax"];
  for (const op of ["movs", "stos", "lods", "cmps", "scas"]) {
    for (const size of sizes) {
      for (const prefix of ["", "rep ", "repe ", "repne "]) {
        if (prefix === "repe " && op !== "cmps" && op !== "scas") continue;
        for (const down of [false, true]) {
          for (const count of prefix ? COUNTS : [0, 5]) {
            const a32 = mode === 64 && rng.int(3) === 0;
            // Keep every access inside the window: source 0..63, destination 64..127.
            const span = Math.min(count, Math.floor(64 / size)) * size;
            const base = down ? 64 - size : 0;
            const upper = a32 ? rng.u64() & ~0xffffffffn : 0n;
            const regs = {
              [si]: upper | BigInt(WIN + base), [di]: upper | BigInt(WIN + 64 + base),
              [cx]: (a32 ? rng.u64() & ~0xffffffffn : 0n) | BigInt(Math.min(count, span / size || count)),
              [ax]: rng.u64(),
            };
            if (op === "scas" && rng.int(2)) regs[ax] = BigInt(rng.int(256)) * 0x0101010101010101n;
            const mem = op === "scas" ? Array.from({ length: 128 }, (_, i) => (i >= 64 && rng.int(4) ? Number(regs[ax]! & 0xffn) : rng.int(256))) : similarMem();
            out.push({
              asm: `${a32 ? "a32 " : ""}${prefix}${op}${SUFFIX[size]}`,
              regs, mem, flags: (rng.u32() & 0x8d5) | (down ? F.DF : 0),
              // ECX = 0 with 32-bit addresses: tsemu zero-extends the registers as Intel does.
              intelOnly: a32 && prefix !== "" && count === 0,
            });
          }
        }
      }
    }
  }
  return out;
}

/** 16-bit addressing in 32-bit code (67 prefix): SI/DI/CX are 16-bit, upper halves kept. */
function addr16Cases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (let i = 0; i < 12; i++) {
    const hi = BigInt(rng.u32() & 0xffff0000);
    const n = rng.int(20);
    out.push({
      asm: `mov dword [0x2000], 0x11223344\na16 rep stosb\nmov cx, 5\na16 rep movsw\nmov ebx, [0x3000]\nmov edx, [0x3010]`,
      regs: { esi: hi | 0x2000n, edi: hi | 0x3000n, ecx: hi | BigInt(n), eax: BigInt(rng.u32()) },
      flags: rng.u32() & 0x8d5,
    });
    out.push({
      asm: `a16 repe cmpsb`,
      regs: { esi: hi | 0x3000n, edi: hi | 0x3008n, ecx: hi | BigInt(n) },
      flags: rng.u32() & 0x8d5,
    });
  }
  return out;
}

suite.add("string ops, 64-bit code", 64, stringCases(64));
suite.add("string ops, 32-bit code", 32, stringCases(32));
if (LOW_MEMORY_OK) suite.add("string ops, 16-bit addresses", 32, addr16Cases());
// Source segment overrides (ES/SS are flat like DS in both runs); the destination stays ES.
suite.add("string ops, segment overrides", 32, ["es lodsd", "ss movsb", "cs lodsw", "es rep movsd", "ss repe cmpsb", "fs stosb"].flatMap((asm) =>
  asm.startsWith("fs") ? [] : [1, 2, 3].map((n) => ({ asm, regs: { esi: BigInt(WIN), edi: BigInt(WIN + 64), ecx: BigInt(n) }, mem: similarMem() }))));
// The F2 prefix on MOVS/STOS/LODS repeats like F3.
suite.add("REPNE MOVS/STOS/LODS", 64, [1, 3, 9, 17].map((n) => ({
  asm: "db 0xf2\nmovsb\ndb 0xf2\nstosd\ndb 0xf2\nlodsw", regs: { rsi: BigInt(WIN), rdi: BigInt(WIN + 64), rcx: BigInt(n) },
})));

describe.skipIf(!DIFF_AVAILABLE)("string instructions vs host CPU", () => {
  beforeAll(() => { suite.run(64); suite.run(32); }, 120_000);
  for (const g of suite.groups) it.skipIf(suite.skips(g))(g, () => suite.check(g));
});

describe("string instructions in tsemu only", () => {
  it("REP OUTSB writes a string to a port; REP INSW stores what the port returns", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(`
      lea rsi, [rel msg]
      mov ecx, msg_end - msg
      mov dx, 0xe9
      rep outsb
      mov rdi, 0x3000
      mov ecx, 20
      mov dx, 0x80
      rep insw
      mov al, [0x3000 + 39]
      mov dx, 0xf4
      out dx, al
      hlt
    msg: db "rep outs works"
    msg_end:`));
    t.enterLongMode();
    t.run();
    expect(String.fromCharCode(...t.console)).toBe("rep outs works");
    expect(t.exitCode).toBe(0xff); // unassigned ports read all-ones
    expect([...t.ram.slice(0x3000, 0x3000 + 41)]).toEqual([...new Array(40).fill(0xff), 0]);
  });

  it("REP MOVSQ stopped by the instruction budget mid-string resumes with consistent registers", () => {
    const t = createTestCpu();
    const n = 1000;
    for (let i = 0; i < n * 8; i++) t.ram[0x200000 + i] = (i * 7 + 3) & 0xff;
    t.load(0x100000, nasm(`
      mov rsi, 0x200000
      mov rdi, 0x300000
      mov rcx, ${n}
      rep movsq
      mov dx, 0xf4
      mov al, 1
      out dx, al
      hlt`));
    t.enterLongMode();
    const s = t.cpu.state;
    let stops = 0;
    for (let guard = 0; guard < 10_000 && t.exitCode === undefined; guard++) {
      t.cpu.run(3);
      const rcx = s.reg(1), rsi = s.reg(6), rdi = s.reg(7);
      if (rcx > 0 && rcx < n) {
        stops++;
        // Every stop point is between iterations: the three registers agree.
        expect(rsi - 0x200000).toBe((n - rcx) * 8);
        expect(rdi - 0x300000).toBe((n - rcx) * 8);
      }
    }
    expect(t.exitCode).toBe(1);
    expect(stops).toBeGreaterThan(10);
    expect([...t.ram.slice(0x300000, 0x300000 + n * 8)]).toEqual([...t.ram.slice(0x200000, 0x200000 + n * 8)]);
  });
});

describe("REP string faults (tsemu only)", () => {
  it("a page fault in the middle of REP MOVSQ leaves RCX/RSI/RDI at the faulting iteration", () => {
    const t = createTestCpu(8 << 20);
    for (let i = 0; i < 0x200; i++) t.ram[0x3fff00 + i] = (i * 13 + 1) & 0xff;
    t.load(0x100000, nasm(`
      mov rsi, 0x3fff00
      mov rdi, 0x200000
      mov ecx, 64
      rep movsq
      hlt`));
    t.enterLongMode();
    // Unmap the 2 MiB page at 0x400000: the copy faults when RSI reaches it.
    new DataView(t.ram.buffer, t.ram.byteOffset).setUint32(0x12000 + 2 * 8, 0, true);
    t.cpu.flushTlb();
    const stop = t.run();
    // No IDT: the #PF escalates to a triple fault; the registers are those of the fault.
    expect(stop).toBe("reset");
    const s = t.cpu.state;
    expect(s.rip).toBe(0x100000 + 15); // at the REP MOVSQ (nasm encodes the three MOVs in 5 bytes each)
    expect(s.reg(1)).toBe(32);
    expect(s.reg(6)).toBe(0x400000);
    expect(s.reg(7)).toBe(0x200100);
    expect([...t.ram.slice(0x200000, 0x200100)]).toEqual([...t.ram.slice(0x3fff00, 0x400000)]);
    expect([...t.ram.slice(0x200100, 0x200108)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
