/**
 * `-m` limits on the real Debian kernel (issue #6): too much RAM for the board, a kernel
 * that does not fit, and an initrd that does not fit are each one line on stderr and exit
 * code 1, before any guest code runs. (A 3 GiB guest booting is test/boot/dmesg-audit.)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/host/node/cli.js";
import { VMLINUZ, requireFixture } from "../fixtures/paths.js";
import { requireVmlinux, VMLINUX } from "../fixtures/vmlinux.js";


async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

describe("tsemu -m limits", () => {
  let dir: string;
  let bigInitrd: string;
  beforeAll(() => {
    requireFixture(VMLINUZ);
    requireVmlinux();
    dir = mkdtempSync(join(tmpdir(), "tsemu-mem-"));
    bigInitrd = join(dir, "big.cpio");
    writeFileSync(bigInitrd, new Uint8Array(40 << 20));
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  const cases: [string, string[], RegExp][] = [
    ["more RAM than fits below the PCI hole", ["-kernel", VMLINUZ, "-m", "5G"], /^tsemu: memory size 5120 MiB is out of range \(16 MiB \.\. 3584 MiB: RAM sits below the PCI hole\)\n$/],
    ["3585 MiB", ["-kernel", VMLINUZ, "-m", "3585"], /^tsemu: memory size 3585 MiB is out of range/],
    ["less than the minimum", ["-kernel", VMLINUZ, "-m", "8"], /^tsemu: memory size 8 MiB is out of range/],
    ["a bzImage whose init_size does not fit", ["-kernel", VMLINUZ, "-m", "32"], /^tsemu: kernel \(init_size [\d.]+ MiB at 0x1000000, relocatable\) does not fit in 32 MiB of RAM\n$/],
    ["a PVH vmlinux that does not fit", ["-kernel", VMLINUX, "-m", "16"], /^tsemu: vmlinux segment at 0x1000000 \([\d.]+ MiB\) does not fit in 16 MiB of RAM\n$/],
    ["an initrd that does not fit above the kernel (PVH)", ["-kernel", VMLINUX, "-m", "100", "-initrd", "BIG"], /^tsemu: initrd \(40 MiB\) does not fit in RAM above the kernel\n$/],
    ["an initrd that does not fit above the kernel (bzImage)", ["-kernel", VMLINUZ, "-m", "96", "-initrd", "BIG"], /^tsemu: initrd \(40 MiB\) does not fit/],
  ];
  it.each(cases)("%s: one line, exit 1", async (_what, argv, msg) => {
    const r = await cli(...argv.map((a) => (a === "BIG" ? bigInitrd : a)), "-serial", "null");
    expect(r.err).toMatch(msg);
    expect(r).toMatchObject({ code: 1, out: "" });
  });
});
