/**
 * The milestone of issue #6 on the real fixtures: Debian's kernel (its payload extracted to a
 * PVH vmlinux by tsemu's own extractor) boots on the pc board to the busybox shell of the boot
 * initramfs, which this test drives through COM1: uname, /proc/cpuinfo, mount, dmesg, an
 * arithmetic loop in sh, a static binary compiled here, and `poweroff -f`, after which the
 * machine exits 0. The kernel also finds the HPET from the ACPI HPET table, switches it to
 * legacy replacement (the board then takes IRQ 0 and 8 from the PIT and RTC) and uses it as
 * clockevent/clocksource without complaint, and takes an NMI injected by the monitor. Deterministic time keeps the run independent of
 * host load.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createPcMachine, type PcMachine } from "../../src/machine/pc.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { BOOT_MARKER } from "../fixtures/paths.js";
import { requireVmlinux } from "../fixtures/vmlinux.js";
import { ConsoleDriver } from "../helpers/console-driver.js";
import { checkShellSession, shellInitrd } from "./shell-session.js";

describe("Debian kernel to a busybox shell (PVH, pc board)", () => {
  let m: PcMachine;
  let con: ConsoleDriver;

  beforeAll(() => {
    const initrd = shellInitrd();
    const serial = new MemoryCharBackend();
    m = createPcMachine({
      kernel: new Uint8Array(readFileSync(requireVmlinux())), initrd, serial,
      cmdline: "console=ttyS0 nokaslr", memoryBytes: 256 << 20,
    });
    con = new ConsoleDriver(m, serial);
  }, 120_000);
  afterAll(() => m?.dispose());

  it("boots to the shell prompt", async () => {
    expect(m.kernelFormat).toBe("pvh");
    const out = await con.bootToPrompt("pc");
    expect(out).toContain("Linux version 6.");
    expect(out).toContain(BOOT_MARKER);
  }, 600_000);

  it("runs uname, cpuinfo, mount, sh arithmetic and a static binary; dmesg is clean", () => checkShellSession(con), 600_000);

  it("uses the HPET: found through ACPI, in legacy replacement mode, a registered clocksource, no complaints", async () => {
    const dmesg = await con.sh("dmesg");
    expect(dmesg).toContain("ACPI: HPET id: 0x8086a201 base: 0xfed00000");
    expect(dmesg).toMatch(/hpet0: at MMIO 0xfed00000, IRQs 2, 8, 0/);
    expect(dmesg).toMatch(/clocksource: hpet: mask: 0xffffffff/);
    expect(dmesg).not.toMatch(/HPET.*not working|hpet.*unstable|clocksource.*unstable|Marking clocksource .* as unstable|timekeeping watchdog/i);
    expect(m.hpet.legacyMode).toBe(true);
    expect(await con.sh("cat /sys/devices/system/clocksource/clocksource0/available_clocksource")).toMatch(/hpet/);
  }, 600_000);

  it("takes an NMI injected by the monitor's `nmi` (the kernel's unknown-NMI path, counted in /proc/interrupts)", async () => {
    const mon = new Monitor(m, { running: true, stop: () => {}, cont: () => {}, quit: () => {} });
    expect(mon.execute("nmi")).toBe("");
    expect(await con.sh("grep NMI: /proc/interrupts")).toMatch(/NMI:\s+1\s+Non-maskable interrupts/);
    expect(await con.sh("dmesg | grep -i nmi")).toMatch(/Uhhuh. NMI received for unknown reason [0-9a-f]{2} on CPU 0/);
  }, 600_000);

  it("poweroff -f ends the machine with exit status 0", async () => {
    expect(await con.powerOff()).toBe(0);
  }, 600_000);
});
