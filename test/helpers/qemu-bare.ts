/**
 * Run a bare 32-bit test program (nasm source, org 0x100000, entered in flat protected mode)
 * under qemu-system-i386 (TCG) as a multiboot kernel, to compare a tsemu system test with
 * QEMU's behaviour: port 0xE9 is QEMU's debugcon, port 0xF4 its isa-debug-exit. Extra blobs
 * (e.g. 16-bit code) are copied to their addresses before the program starts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nasm } from "./nasm.js";

export const HAS_QEMU_I386 = spawnSync("sh", ["-c", "command -v qemu-system-i386"]).status === 0;

export interface QemuBareResult {
  console: string;
  /** The value written to port 0xF4 (QEMU exits with value * 2 + 1), or null. */
  exitCode: number | null;
}

export function runBareInQemu(program: string, blobs: { addr: number; bytes: Uint8Array }[] = []): QemuBareResult {
  const copies = blobs.map((b, i) => `  mov esi, mb_blob${i}\n  mov edi, 0x${b.addr.toString(16)}\n  mov ecx, ${b.bytes.length}\n  cld\n  rep movsb\n`).join("");
  const data = blobs.map((b, i) => `mb_blob${i}: db ${[...b.bytes].join(", ")}\n`).join("");
  const image = nasm(`
  align 4
mb_header:
  dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb_header, 0x100000, 0, 0, mb_start
mb_start:
${copies}  jmp mb_program
${data}
mb_program:
${program}
`, 32);
  const dir = mkdtempSync(join(tmpdir(), "tsemu-qemu-bare-"));
  try {
    const kernel = join(dir, "kernel.bin");
    writeFileSync(kernel, image);
    const r = spawnSync("qemu-system-i386", [
      "-kernel", kernel, "-m", "16M", "-display", "none", "-no-reboot", "-serial", "none", "-monitor", "none",
      "-debugcon", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ], { timeout: 30_000, encoding: "latin1" });
    const status = r.status;
    return { console: r.stdout ?? "", exitCode: status !== null && status & 1 ? status >> 1 : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
