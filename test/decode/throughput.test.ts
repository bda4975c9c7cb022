/**
 * Decoder throughput on real x86-64 code (the .text of /bin/sh's ELF, or a synthetic mix).
 * Prints instructions per second of CPU time; asserts only a loose floor, because the test
 * machine is shared. The target is ~10 M instructions/s on an idle core.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decode } from "../../src/cpu/decode/decoder.js";

/** The bytes of the first executable PT_LOAD segment of an ELF64 file, or null. */
function textOf(path: string): Uint8Array | null {
  try {
    const f = readFileSync(path);
    if (f.readUInt32BE(0) !== 0x7f454c46 || f[4] !== 2) return null;
    const phoff = Number(f.readBigUInt64LE(0x20)), phentsize = f.readUInt16LE(0x36), phnum = f.readUInt16LE(0x38);
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * phentsize;
      if (f.readUInt32LE(p) === 1 && f.readUInt32LE(p + 4) & 1) {
        const off = Number(f.readBigUInt64LE(p + 8)), size = Number(f.readBigUInt64LE(p + 32));
        return f.subarray(off, off + size);
      }
    }
  } catch {
    return null;
  }
  return null;
}

describe("decoder throughput", () => {
  it("decodes real code fast", () => {
    const code = textOf("/bin/sh") ?? textOf("/bin/ls") ?? new Uint8Array(65536).map((_, i) => [0x48, 0x89, 0xe5, 0x90][i & 3] ?? 0x90);
    const reader = { readByte: (a: number): number => (a < code.length ? (code[a] ?? -1) : -1) };
    let n = 0, bad = 0;
    const run = (reps: number): void => {
      for (let r = 0; r < reps; r++) {
        for (let pc = 0; pc < code.length - 16;) {
          const d = decode(reader, pc, 64);
          if ("fault" in d) { bad++; pc++; } else pc += d.len;
          n++;
        }
      }
    };
    const reps = Math.max(1, Math.ceil(2_000_000 / code.length));
    run(reps); // warm up
    n = 0;
    const c0 = process.cpuUsage();
    run(reps);
    const cpu = process.cpuUsage(c0);
    const ms = (cpu.user + cpu.system) / 1000;
    const rate = n / ms / 1000;
    console.log(`decode: ${n} instructions in ${ms.toFixed(0)} ms CPU = ${rate.toFixed(2)} M insn/s (${bad} faults)`);
    expect(rate).toBeGreaterThan(0.5);
  });
});
