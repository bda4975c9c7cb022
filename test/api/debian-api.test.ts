/**
 * The library API on the real kernel: Debian's 6.1 PVH vmlinux with the test initramfs runs
 * `uname -a` and powers off, driven only through src/index.ts (waitFor, run to exit).
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { createMachine } from "../../src/index.js";
import { FIXTURE_CACHE, KERNEL_VERSION_FILE, TEST_INITRD, requireFixture, testCmdline } from "../fixtures/paths.js";

it("boots Debian's kernel through the public API, reads uname's output and the power-off status", async () => {
  const kernel = new Uint8Array(readFileSync(requireFixture(`${FIXTURE_CACHE}vmlinux`)));
  const initrd = new Uint8Array(readFileSync(requireFixture(TEST_INITRD)));
  const version = readFileSync(requireFixture(KERNEL_VERSION_FILE), "utf8").trim();
  const m = createMachine({ kernel, initrd, append: testCmdline("uname"), memory: "256M", noReboot: true });
  try {
    const t0 = performance.now();
    await m.waitFor("TSEMU-TEST-BEGIN uname");
    const out = await m.waitFor(/TSEMU-TEST-END uname rc=\d+/);
    expect(out).toMatch(new RegExp(`^\\s*Linux \\S+ ${version.replace(/[.+]/g, "\\$&")} #1 SMP`, "m"));
    expect(out).toMatch(/rc=0$/);
    const r = await m.run({ maxInstructions: 5e9 });
    expect(r).toMatchObject({ kind: "exit", exitCode: 0 });
    expect(m.serial(0).text).toContain("reboot: Power down");
    console.log(`debian uname via the API: ${(m.stats.instructions / 1e9).toFixed(2)}e9 guest instructions, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    m.dispose();
  }
}, 300_000);
