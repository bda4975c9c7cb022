/**
 * The microvm board with bare multiboot kernels (nasm), no Linux: COM1 and isa-debug-exit
 * work; there is no PCI, i8042 or HPET; the GED's sleep control register powers off and its
 * reset register resets; a triple fault (Linux's reboot=t) reboots the board or, with
 * noReboot (-no-reboot), ends it.
 */
import { describe, expect, it } from "vitest";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createMachine } from "../../src/machine/create.js";
import type { Machine, SliceResult } from "../../src/machine/machine.js";
import { MicrovmLayout, createMicrovmMachine } from "../../src/machine/microvm.js";
import { multibootHello } from "../helpers/multiboot-hello.js";
import { nasm } from "../helpers/nasm.js";

/** A multiboot kernel that prints "boot\n" on COM1 (no LSR polling: THR is always ready) and then runs `tail`. */
function kernelThen(tail: string): Uint8Array {
  return nasm(`
    align 4
    mb: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb, 0x100000, 0, 0, start
  start:
    mov dx, 0x3f8
    mov al, 'b'
    out dx, al
    mov al, 10
    out dx, al
    ${tail}
  `, 32, 0x100000);
}
const TRIPLE_FAULT = `
    lidt [idtr]
    int3
    hlt
    idtr: dw 0
          dd 0`;

function run(m: Machine, slices = 200): SliceResult {
  let r = m.runSlice();
  for (let i = 0; i < slices && r.kind !== "exit"; i++) r = m.runSlice();
  return r;
}

describe("microvm board", () => {
  it("boots a multiboot kernel that prints on COM1 and exits through isa-debug-exit", () => {
    const serial = new MemoryCharBackend();
    const m = createMachine({ board: "microvm", kernel: multibootHello("microvm ok\n", 3), serial, memoryBytes: 64 << 20 });
    expect(m.kernelFormat).toBe("multiboot");
    expect(run(m)).toEqual({ kind: "exit", exitCode: 7, reason: "isa-debug-exit" });
    expect(serial.text).toBe("microvm ok\n");
    m.dispose();
  });

  it("an unknown board name is a one-line ConfigError", () => {
    expect(() => createMachine({ board: "q35" as "pc", kernel: multibootHello("x", 0), memoryBytes: 64 << 20 })).toThrow(/^unknown machine 'q35' \(supported: pc, microvm\)$/);
  });

  it("has no PCI, i8042 or HPET; has the GED and the legacy ISA devices", () => {
    const m = createMicrovmMachine({ kernel: multibootHello("x", 0), memoryBytes: 64 << 20 });
    m.io.write(0xcf8, 0x80000000, 4);
    expect(m.io.read(0xcfc, 4) >>> 0).toBe(0xffffffff);
    expect(m.io.read(0x64, 1)).toBe(0xff);
    expect(m.memory.read(0xfed00000, 4) >>> 0).toBe(0xffffffff);
    const types = m.devices.map((d) => d.typeName);
    expect(types).toEqual(expect.arrayContaining(["acpi-ged", "i8259", "ioapic", "isa-debug-exit"]));
    expect(types.some((t) => /i8042|hpet|pci|acpi-pm/.test(t))).toBe(false);
    expect(m.dumpQtree()).toContain('dev: acpi-ged, id "ged"');
    // Nothing is mapped in the virtio-mmio window yet.
    expect(m.memory.read(MicrovmLayout.VIRTIO_MMIO_BASE, 4) >>> 0).toBe(0xffffffff);
    m.dispose();
  });

  it("the GED sleep control register powers off with status 0", () => {
    const m = createMachine({ board: "microvm", kernel: kernelThen(`
      mov byte [${MicrovmLayout.GED_REGS}], (5 << 2) | 0x20
      hlt`), memoryBytes: 64 << 20 });
    expect(run(m)).toEqual({ kind: "exit", exitCode: 0, reason: "ACPI S5 (GED sleep control)" });
    m.dispose();
  });

  it("the GED reset register and a triple fault reboot the board, or end it with noReboot", () => {
    const gedReset = `
      mov byte [${MicrovmLayout.GED_REGS + 2}], 0x42
      hlt`;
    for (const [tail, reason] of [[gedReset, "reset (ACPI reset register (GED)) with -no-reboot"], [TRIPLE_FAULT, /triple fault/]] as const) {
      const exiting = createMachine({ board: "microvm", kernel: kernelThen(tail), memoryBytes: 64 << 20, noReboot: true });
      const r = run(exiting);
      expect(r.kind).toBe("exit");
      if (r.kind === "exit") {
        expect(r.exitCode).toBe(0);
        expect(r.reason).toMatch(reason);
      }
      exiting.dispose();

      const serial = new MemoryCharBackend();
      const rebooting = createMachine({ board: "microvm", kernel: kernelThen(tail), serial, memoryBytes: 64 << 20 });
      for (let i = 0; i < 50 && !serial.text.startsWith("b\nb\nb\n"); i++) expect(rebooting.runSlice().kind).not.toBe("exit");
      expect(serial.text.startsWith("b\nb\nb\n")).toBe(true); // booted three times
      rebooting.dispose();
    }
  });
});
