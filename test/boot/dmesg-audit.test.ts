/**
 * Issue #5's platform check on the real kernel: Debian's 6.1 kernel (PVH vmlinux) boots once
 * on the pc board with 3 GiB of RAM (issue #6's "-m up to at least 3 GiB with the PCI hole"),
 * the test initramfs and `loglevel=8` (so the console carries the whole kernel log, debug
 * lines included), then powers off. The log must
 *   - contain no line of device trouble (TROUBLE: calibration, clocksources, interrupts,
 *     serial, i8042, RTC, PCI, ACPI, firmware, MCE, NMI, kernel bugs), except the lines in
 *     NORMAL, which QEMU's pc prints too for the same kernel (not emulator defects);
 *   - show that the kernel found each platform device (FOUND);
 *   - show 3 GiB of RAM below the PCI hole, and the PCI window above it.
 * A failure lists every offending line. Deterministic time keeps the run reproducible. When
 * QEMU is installed, the same kernel, initrd and command line boot under QEMU's pc to check
 * that every NORMAL line really is one QEMU prints too.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_INITRD, VMLINUZ, requireFixture, testCmdline } from "../fixtures/paths.js";
import { requireVmlinux, VMLINUX } from "../fixtures/vmlinux.js";
import { HAS_QEMU, qemuBoot } from "../fixtures/qemu.js";
import { runToExit, type BootRun } from "./run-to-exit.js";


/** Device trouble: what it means, and the kernel messages that say so. */
const TROUBLE: readonly { what: string; pattern: RegExp }[] = [
  { what: "LAPIC timer calibration", pattern: /APIC calibration not consistent|APIC delta adjusted|APIC timer disabled due to verification failure/ },
  { what: "TSC calibration / stability", pattern: /TSC calibration failed|Unable to calibrate against PIT|Marking TSC unstable|TSC unstable|TSC.*(skew|not synchronized)/i },
  { what: "clocksource watchdog", pattern: /clocksource.*unstable|timekeeping watchdog|watchdog.*skew/i },
  { what: "timer through the IOAPIC/8259", pattern: /MP-BIOS bug|timer doesn't work|Unable to set up timer/ },
  { what: "unhandled interrupts", pattern: /nobody cared|Disabling IRQ #|spurious (8259A )?interrupt|Spurious LAPIC|spurious APIC interrupt|No irq handler for vector/i },
  { what: "serial", pattern: /serial8250: too much work|ttyS\d+: LSR safety check|serial.*(failed|error)/i },
  { what: "i8042", pattern: /i8042: (Can't|Failed|No controller found|PNP: No PS\/2 controller found|Probing ports directly)/ },
  { what: "RTC", pattern: /rtc_cmos.*(error|fail|no PNP device found)|rtc_cmos: probe of .* failed/i },
  { what: "PCI", pattern: /PCI: .*failed|BAR \d+.*no space|can't claim|failed to assign|pci .*(error|failed)|fail to add MMCONFIG/i },
  { what: "ACPI", pattern: /ACPI (BIOS )?Error|ACPI Warning|ACPI Exception|ACPI: .*(error|failed)/i },
  { what: "firmware bugs", pattern: /Firmware Bug|\[Firmware (Bug|Warn|Info)\]/ },
  { what: "machine check", pattern: /mce: Unable|Machine check/ },
  { what: "NMI", pattern: /Unknown NMI|NMI received for unknown reason|Uhhuh/ },
  { what: "kernel bugs", pattern: /BUG:|Oops|Call Trace|WARNING:|Kernel panic|soft lockup|hung task/ },
];

/** Lines a TROUBLE pattern matches that QEMU's pc prints too for this kernel: not defects. */
const NORMAL: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /acpi PNP0A03:00: fail to add MMCONFIG information/, why: "i440fx-style host bridge without MCFG; QEMU pc prints it too" },
];

/** The platform devices the kernel must find. */
const FOUND: readonly { what: string; pattern: RegExp }[] = [
  { what: "ACPI PNP devices", pattern: /pnp: PnP ACPI: found [1-9]\d* devices/ },
  { what: "COM1 via PNP as a 16550A", pattern: /\d+:\d+: ttyS0 at I\/O 0x3f8 \(irq = 4, .*\) is a 16550A/ },
  { what: "i8042 via PNP", pattern: /i8042: PNP: PS\/2 Controller \[PNP0303:KBD,PNP0f13:MOU\] at 0x60,0x64 irq 1,12/ },
  { what: "PS/2 keyboard", pattern: /input: AT (Raw|Translated) Set 2 keyboard/ },
  { what: "RTC via PNP", pattern: /rtc_cmos \d+:\d+: registered as rtc0/ },
  { what: "IOAPIC", pattern: /IOAPIC\[0\]: apic_id \d+, version \d+, address 0xfec00000, GSI 0-23/ },
  { what: "ACPI PM timer clocksource", pattern: /clocksource: acpi_pm:/ },
  { what: "PCI host bridge", pattern: /PCI host bridge to bus 0000:00/ },
  { what: "the TSC as clocksource", pattern: /clocksource: Switched to clocksource tsc$/m },
  { what: "ACPI S5 power-off", pattern: /reboot: Power down/ },
];

/** The kernel log lines of a console capture (timestamps kept, test markers dropped). */
const kernelLines = (run: BootRun): string[] => run.serial.split("\n").filter((l) => /^\[\s*\d+\.\d+\]/.test(l));

const GiB = 2 ** 30;

describe("dmesg audit: Debian 6.1 on the pc board (PVH, -m 3G)", () => {
  let run: BootRun;
  let lines: string[];
  beforeAll(async () => {
    requireFixture(VMLINUZ);
    requireVmlinux();
    requireFixture(TEST_INITRD);
    run = await runToExit({ kernelPath: VMLINUX, initrdPath: TEST_INITRD, cmdline: testCmdline("uname", "loglevel=8"), memoryBytes: 3 * GiB });
    console.log(`dmesg audit boot: ${(run.insns / 1e9).toFixed(2)}e9 guest instructions, ${(run.wallMs / 1000).toFixed(1)} s`);
    // For the reader: what the emulator itself logged (unimplemented MSRs, unassigned ports).
    console.log(`emulator log (${run.log.length} lines):\n${run.log.slice(0, 40).join("\n")}`);
    lines = kernelLines(run);
  }, 900_000);

  it("boots to /init and powers off", () => {
    expect(run.serial).toContain("TSEMU-TEST-END uname rc=0");
    expect(run.exitCode, run.serial.slice(-1000)).toBe(0);
    expect(lines.length).toBeGreaterThan(200);
  });

  it("the kernel sees 3 GiB of RAM below the PCI hole", () => {
    expect(lines.join("\n")).toContain("BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable");
    const m = /Memory: \d+K\/(\d+)K available/.exec(run.serial);
    expect(m, "no 'Memory:' line").not.toBeNull();
    const kib = Number(m![1]);
    expect(kib * 1024).toBeGreaterThan(3 * GiB - 2 ** 20); // all of it but the legacy hole
    expect(kib * 1024).toBeLessThanOrEqual(3 * GiB);
    expect(run.serial).toContain("pci_bus 0000:00: root bus resource [mem 0xc0000000-0xfebfffff window]");
  });

  it("finds every platform device and prints no device trouble", () => {
    const offending: string[] = [];
    for (const line of lines) {
      const t = TROUBLE.find((p) => p.pattern.test(line));
      if (t && !NORMAL.some((n) => n.pattern.test(line))) offending.push(`${t.what}: ${line}`);
    }
    const missing = FOUND.filter((f) => !lines.some((l) => f.pattern.test(l))).map((f) => `not found: ${f.what} (${f.pattern.source})`);
    expect([...offending, ...missing], "device trouble in dmesg").toEqual([]);
  });

  it.skipIf(!HAS_QEMU)("every allowed line is one QEMU's pc prints too", async () => {
    const q = await qemuBoot({ kernel: VMLINUX, initrd: TEST_INITRD, append: testCmdline("uname", "loglevel=8"), memory: "3G" });
    expect(q.output).toContain("TSEMU-TEST-END uname rc=0");
    const qemuLines = q.output.replace(/\r/g, "").split("\n");
    const qemuTrouble = qemuLines.filter((l) => TROUBLE.some((p) => p.pattern.test(l)));
    console.log(`QEMU pc, same kernel: ${qemuTrouble.length} trouble-pattern lines:\n${qemuTrouble.join("\n")}`);
    for (const n of NORMAL) {
      expect(lines.some((l) => n.pattern.test(l)) && TROUBLE.some((t) => lines.some((l) => n.pattern.test(l) && t.pattern.test(l))), `NORMAL row not needed: ${n.pattern.source}`).toBe(true);
      expect(qemuLines.some((l) => n.pattern.test(l)), `${n.pattern.source}: ${n.why}`).toBe(true);
    }
  }, 300_000);
});
