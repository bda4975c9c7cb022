/**
 * Decoder throughput on real x86-64 code (busybox's or /bin/sh's .text), measured in a
 * separate Node process on an esbuild bundle (decode-bench.ts): that is how the emulator
 * ships, and vitest's per-module transform does not inline cross-module const enums, which
 * makes in-process numbers several times lower. Prints M instructions/s of CPU time; asserts
 * only a loose floor because the test machine is shared. Target: ~10 M/s on an idle core.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";

describe("decoder throughput", () => {
  it("decodes real code fast (bundled, own process)", () => {
    const file = ["fixtures/cache/busybox", "/bin/sh"].find((f) => existsSync(f));
    if (!file) return;
    const dir = mkdtempSync(join(tmpdir(), "tsemu-bench-"));
    try {
      const text = join(dir, "text.bin"), out = join(dir, "bench.mjs");
      execFileSync("objcopy", ["-O", "binary", "--only-section=.text", file, text]);
      buildSync({ entryPoints: [join(import.meta.dirname, "decode-bench.ts")], bundle: true, platform: "node", format: "esm", outfile: out, logLevel: "error" });
      const r = JSON.parse(execFileSync("node", [out, text]).toString()) as { insns: number; best: number };
      console.log(`decode (${file} .text, ${readFileSync(text).length} bytes): ${r.insns} insns/trial, best ${r.best.toFixed(2)} M insn/s CPU time`);
      expect(r.best).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
