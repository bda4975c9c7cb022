/**
 * Issue #6's bzImage path end to end: Debian's vmlinuz itself (64-bit boot protocol entry; the
 * guest decompresses its own xz payload) boots on the pc board to the busybox shell, where the
 * same shell session as the PVH and microvm boots runs (shell-session.ts), and `poweroff -f`
 * ends the machine with exit status 0. Deterministic time keeps the run independent of host
 * load.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createPcMachine, type PcMachine } from "../../src/machine/pc.js";
import { BOOT_MARKER, VMLINUZ, requireFixture } from "../fixtures/paths.js";
import { ConsoleDriver } from "../helpers/console-driver.js";
import { checkShellSession, shellInitrd } from "./shell-session.js";

describe("Debian bzImage to a busybox shell (pc board)", () => {
  let m: PcMachine;
  let con: ConsoleDriver;

  beforeAll(() => {
    const serial = new MemoryCharBackend();
    m = createPcMachine({
      kernel: new Uint8Array(readFileSync(requireFixture(VMLINUZ))), initrd: shellInitrd(), serial,
      cmdline: "console=ttyS0 nokaslr", memoryBytes: 256 << 20,
    });
    con = new ConsoleDriver(m, serial);
  }, 120_000);
  afterAll(() => m?.dispose());

  it("boots to the shell prompt", async () => {
    expect(m.kernelFormat).toBe("bzimage");
    const out = await con.bootToPrompt("pc, bzImage");
    expect(out).toContain("Linux version 6.");
    expect(out).toContain(BOOT_MARKER);
  }, 900_000);

  it("runs uname, cpuinfo, mount, sh arithmetic and a static binary; dmesg is clean", () => checkShellSession(con), 600_000);

  it("poweroff -f ends the machine with exit status 0", async () => {
    expect(await con.powerOff()).toBe(0);
  }, 600_000);
});
