/**
 * Assembled samples: hand-written assembly (test/decode/asm/*.s: system, far-transfer,
 * segment, x87, MMX/SSE and 16-bit real-mode instructions a boot touches) assembled with GNU
 * as, then decoded instruction by instruction and compared with objdump (length, mnemonic,
 * and nothing skipped).
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CodeMode } from "../../src/cpu/decode/insn.js";
import { runStream } from "./objdump-harness.js";

function have(tool: string): boolean {
  try {
    execFileSync(tool, ["--version"]);
    return true;
  } catch {
    return false;
  }
}

function assemble(source: string, mode: CodeMode, dir: string): Uint8Array {
  const obj = join(dir, `a${mode}.o`), bin = join(dir, `a${mode}.bin`);
  execFileSync("as", [mode === 64 ? "--64" : "--32", "-o", obj, source]);
  execFileSync("objcopy", ["-O", "binary", "--only-section=.text", obj, bin]);
  return new Uint8Array(readFileSync(bin));
}

describe.skipIf(!have("as") || !have("objdump"))("assembled samples vs objdump", () => {
  for (const mode of [16, 32, 64] as CodeMode[]) {
    it(`code${mode}.s decodes like objdump`, () => {
      const dir = mkdtempSync(join(tmpdir(), "tsemu-asm-"));
      try {
        const code = assemble(join(import.meta.dirname, "asm", `code${mode}.s`), mode, dir);
        const stats = runStream(code, mode);
        expect(stats.mismatches).toEqual([]);
        expect(stats.skipped).toBe(0);
        expect(stats.compared).toBeGreaterThan(40);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
