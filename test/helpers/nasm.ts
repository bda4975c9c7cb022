/** Assemble a snippet with nasm (flat binary) for CPU system tests. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function nasm(source: string, bits: 16 | 32 | 64 = 64, org = 0x100000): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "tsemu-nasm-"));
  try {
    writeFileSync(join(dir, "t.asm"), `bits ${bits}\norg 0x${org.toString(16)}\n${source}\n`);
    execFileSync("nasm", ["-f", "bin", "-o", join(dir, "t.bin"), join(dir, "t.asm")], { stdio: ["ignore", "ignore", "pipe"] });
    return new Uint8Array(readFileSync(join(dir, "t.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
