/**
 * COM1..COM4 on the pc and microvm boards without a guest OS: one UART per backend given, at
 * the PC's ports (0x3f8, 0x2f8, 0x3e8, 0x2e8), COM3 sharing IRQ 4 with COM1 and COM4 IRQ 3
 * with COM2 through a wired-OR (the line stays high while either UART asserts it), each listed
 * in the DSDT as PNP0501 with its _UID; more than four is a ConfigError.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/common/errors.js";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createMachine } from "../../src/machine/create.js";
import type { Machine } from "../../src/machine/machine.js";
import { multibootHello } from "../helpers/multiboot-hello.js";

const PORTS = [0x3f8, 0x2f8, 0x3e8, 0x2e8];
const IER = 1, THRE_INT = 0x02, MCR = 4, OUT2 = 0x08;

/** IOAPIC pin levels (ISA IRQ n on pin n for n = 3, 4). */
function pin(m: Machine, n: number): number {
  return (m.devices.find((d) => d.typeName === "ioapic")!.getState() as { levels: number[] }).levels[n]!;
}

describe.each(["pc", "microvm"] as const)("serial ports on the %s board", (board) => {
  it("has one UART per backend at the PC ports, with shared IRQs wired-OR", () => {
    const com = [new MemoryCharBackend(), new MemoryCharBackend(), new MemoryCharBackend(), new MemoryCharBackend()];
    const m = createMachine({ board, kernel: multibootHello("x\n", 0), memoryBytes: 64 << 20, serial: com[0], extraSerials: com.slice(1) });
    try {
      PORTS.forEach((p, i) => m.io.write(p, 0x41 + i, 1));
      expect(com.map((c) => c.text)).toEqual(["A", "B", "C", "D"]);
      expect(m.dumpQtree()).toMatch(/id "com4"/);
      // THRE interrupts on COM1 and COM3 (both IRQ 4; OUT2 gates the ISA line as on a PC).
      for (const p of [PORTS[0]!, PORTS[2]!]) { m.io.write(p + MCR, OUT2, 1); m.io.write(p + IER, THRE_INT, 1); }
      expect(pin(m, 4)).toBe(1);
      m.io.write(PORTS[0]! + IER, 0, 1); // COM1 drops its request: COM3 still holds the line
      expect(pin(m, 4)).toBe(1);
      m.io.write(PORTS[2]! + IER, 0, 1);
      expect(pin(m, 4)).toBe(0);
      expect(pin(m, 3)).toBe(0);
      // The DSDT lists the four ports (PNP0501 = EISA id 0x0105d041, little-endian 41 d0 05 01).
      const ram = m.ram;
      const dsdt = findTable(ram, "DSDT");
      expect(count(dsdt, [0x0c, 0x41, 0xd0, 0x05, 0x01])).toBe(4);
    } finally {
      m.dispose();
    }
  });

  it("without extra backends has COM1 only; five ports are refused", () => {
    const m = createMachine({ board, kernel: multibootHello("x\n", 0), memoryBytes: 64 << 20 });
    try {
      expect(m.io.read(PORTS[1]! + 5, 1)).toBe(0xff); // no COM2: unassigned port
      expect(m.io.read(PORTS[0]! + 5, 1) & 0x60).toBe(0x60); // COM1 LSR: THRE and TEMT
    } finally {
      m.dispose();
    }
    const five = Array.from({ length: 4 }, () => new MemoryCharBackend());
    expect(() => createMachine({ board, kernel: multibootHello("x\n", 0), memoryBytes: 64 << 20, extraSerials: five })).toThrow(ConfigError);
  });
});

/** The bytes of the ACPI table with `sig` (found by its signature in the BIOS area). */
function findTable(ram: Uint8Array, sig: string): Uint8Array {
  const want = [...sig].map((c) => c.charCodeAt(0));
  for (let a = 0xe0000; a < 0x100000; a++) {
    if (want.every((b, i) => ram[a + i] === b)) {
      const len = ram[a + 4]! | (ram[a + 5]! << 8) | (ram[a + 6]! << 16);
      return ram.slice(a, a + len);
    }
  }
  throw new Error(`no ${sig} table`);
}

function count(hay: Uint8Array, needle: number[]): number {
  let n = 0;
  for (let i = 0; i + needle.length <= hay.length; i++) if (needle.every((b, k) => hay[i + k] === b)) n++;
  return n;
}
