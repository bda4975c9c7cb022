/** Validation of the opcode table (table.ts) and its compilation (compile.ts). */

import { describe, expect, it } from "vitest";
import { compileTable, EF, OT, parseRow } from "./compile.js";
import { MNEMONICS } from "./mnemonics.js";
import { TABLE } from "./table.js";

describe("opcode table", () => {
  const compiled = compileTable();

  it("has no duplicate slot", () => {
    expect(compiled.conflicts).toEqual([]);
  });

  it("agrees, per opcode, on whether a ModRM byte follows", () => {
    expect(compiled.modrmMismatch).toEqual([]);
  });

  it("rows are well-formed", () => {
    for (const raw of TABLE) {
      const rows = parseRow(raw);
      expect(rows.length, raw.join(" | ")).toBeGreaterThan(0);
      for (const r of rows) {
        const where = r.text;
        expect(r.entry.mnemonic, where).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(r.entry.flags & EF.I64 && r.entry.flags & EF.O64, where).toBeFalsy();
        expect(r.entry.flags & EF.D64 && r.entry.flags & EF.F64, where).toBeFalsy();
        if (r.entry.flags & EF.LOCK) {
          // LOCK needs a read-modify-write memory destination (SDM LOCK).
          expect([OT.E, OT.M], where).toContain(r.entry.ops[0]?.t);
        }
        if (r.pfx >= 0) expect(r.map, where).toBeGreaterThan(0);
        expect(r.entry.ops.length, where).toBeLessThanOrEqual(3);
      }
    }
  });

  it("rejects malformed rows", () => {
    expect(() => parseRow(["00", "ADD", "Eq,Kb"])).toThrow();
    expect(() => parseRow(["NP 05", "ADD", "rAX,Iz"])).toThrow();
    expect(() => parseRow(["00", "ADD", "Eb,Gb", "locked"])).toThrow();
    expect(() => parseRow(["0F 01 @10", "X", ""])).toThrow();
  });

  it("marks every control transfer as a block end", () => {
    const cti = new Set(["JCC", "JMP", "JMPF", "CALL", "CALLF", "RET", "RETF", "IRET", "LOOP", "LOOPE", "LOOPNE", "JCXZ",
      "INT", "INT3", "INT1", "INTO", "SYSCALL", "SYSRET", "SYSENTER", "SYSEXIT", "HLT", "UD2"]);
    for (const raw of TABLE) if (cti.has(raw[1])) expect(raw[3] ?? "", raw.join(" | ")).toContain("end");
  });

  it("derives a duplicate-free mnemonic list covering every row", () => {
    expect(new Set(MNEMONICS).size).toBe(MNEMONICS.length);
    for (const raw of TABLE) expect(MNEMONICS).toContain(raw[1]);
    expect(MNEMONICS.length).toBeLessThan(560) // ~520: SSE/MMX/x87 have one semantic each;
  });

  it("fills the expected number of one-byte and 0F slots", () => {
    const filled = (map: number): number => compiled.roots.slice(map * 256, map * 256 + 256).filter((n) => n !== null).length;
    // One-byte map: 256 minus prefixes (11), 0F escape, and D6 (reserved) = 243; REX range counts (INC/DEC i64).
    expect(filled(0)).toBe(243);
    expect(filled(1)).toBeGreaterThan(220);
  });
});
