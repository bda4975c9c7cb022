/**
 * The microvm board on the real fixtures: Debian's kernel (the PVH vmlinux extracted by
 * tsemu) boots with hardware-reduced ACPI to the busybox shell of the boot initramfs; the
 * shell session of shell-session.ts passes (uname, cpuinfo, mount, sh arithmetic, a static
 * binary, no kernel warnings in dmesg), dmesg has no ACPI errors (the GED, COM1 and RTC in the DSDT
 * were accepted), and `poweroff -f` goes through the GED's sleep control register, after
 * which the machine exits 0. Deterministic time keeps the run independent of host load.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createMachine } from "../../src/machine/create.js";
import type { MicrovmMachine } from "../../src/machine/microvm.js";
import { BOOT_MARKER } from "../fixtures/paths.js";
import { requireVmlinux } from "../fixtures/vmlinux.js";
import { ConsoleDriver } from "../helpers/console-driver.js";
import { checkShellSession, shellInitrd } from "./shell-session.js";


describe("Debian kernel to a busybox shell on the microvm board (PVH)", () => {
  let m: MicrovmMachine;
  let con: ConsoleDriver;

  beforeAll(() => {
    const serial = new MemoryCharBackend();
    m = createMachine({
      board: "microvm", kernel: new Uint8Array(readFileSync(requireVmlinux())), initrd: shellInitrd(),
      serial, cmdline: "console=ttyS0 nokaslr", memoryBytes: 256 << 20,
    }) as MicrovmMachine;
    con = new ConsoleDriver(m, serial);
  }, 120_000);
  afterAll(() => m?.dispose());

  it("boots to the shell prompt with hardware-reduced ACPI", async () => {
    expect(m.kernelFormat).toBe("pvh");
    const out = await con.bootToPrompt("microvm");
    expect(out).toContain("Linux version 6.");
    expect(out).toContain(BOOT_MARKER);
    expect(out).toMatch(/ACPI: FACP .*TSEMU/);
    expect(out).toContain("ACPI: PM: (supports S0 S5)");
    expect(out).toMatch(/ttyS0 at I\/O 0x3f8 .* is a 16550A/);
    expect(out).not.toMatch(/PCI: Using configuration type|pci 0000:00:00\.0/); // no PCI on this board
  }, 600_000);

  it("runs the shell session; dmesg has no warnings and no ACPI errors", async () => {
    await checkShellSession(con);
    const count = async (re: string): Promise<string> => (await con.sh(`dmesg | grep -E '${re}' | wc -l`)).trim().split("\n").pop()!;
    expect(await count("BUG:|Oops|Call Trace|WARNING:")).toBe("0");
    expect(await count("ACPI Error|ACPI BIOS Error|ACPI Warning")).toBe("0");
    // The GED bound to its interrupt and the power button to the GED's notify.
    expect(await con.sh("ls /sys/bus/acpi/devices/ | grep -E 'ACPI0013|PNP0C0C|PNP0501|PNP0B00' | sort | tr '\\n' ' '")).toMatch(/ACPI0013:00 PNP0501:00 PNP0B00:00 PNP0C0C:00/);
  }, 600_000);

  it("poweroff -f goes through the GED sleep register and ends the machine with exit status 0", async () => {
    expect(await con.powerOff()).toBe(0);
    expect(con.serial.text).toContain("reboot: Power down");
  }, 600_000);
});
