/**
 * Issue #6's bzImage path end to end: Debian's vmlinuz itself (64-bit boot protocol entry;
 * the guest decompresses its own xz payload) boots on the pc board to the test initramfs's
 * /init, which powers off with `poweroff -f`; the machine exits 0. Kept cheap: `quiet`, the
 * smallest test script, deterministic time, one check.
 */
import { expect, it } from "vitest";
import { TEST_INITRD, VMLINUZ, requireFixture, testCmdline } from "../fixtures/paths.js";
import { runToExit } from "./run-to-exit.js";

it("Debian bzImage boots to /init and `poweroff -f` exits 0", async () => {
  const run = await runToExit({ kernelPath: requireFixture(VMLINUZ), initrdPath: requireFixture(TEST_INITRD), cmdline: testCmdline("poweroff", "quiet") });
  console.log(`bzImage boot to poweroff: ${(run.insns / 1e9).toFixed(2)}e9 guest instructions, ${(run.wallMs / 1000).toFixed(1)} s`);
  expect({ exitCode: run.exitCode, init: run.serial.includes("TSEMU: powering off") }, run.serial.slice(-1500)).toEqual({ exitCode: 0, init: true });
}, 900_000);
