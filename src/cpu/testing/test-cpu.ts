/**
 * A bare CPU for tests: RAM at physical 0, a debug console port and an exit port, and helpers
 * to enter 64-bit long mode (identity-mapped 1 GiB with 2 MiB pages, flat GDT), 32-bit flat
 * protected mode, or real mode. Tests put machine code in memory and run it.
 *
 *   port 0xE9: each byte written is appended to `console`
 *   port 0xF4: writing value v stops the run with exitCode = v (like isa-debug-exit)
 */

import { Logger } from "../../common/log.js";
import { WasmLayout } from "../../memory/wasm-layout.js";
import type { CpuBus } from "../bus.js";
import { Cpu } from "../cpu.js";
import { WasmBackend, type WasmBackendOptions } from "../../jit/wasm/backend.js";
import { decode } from "../decode/decoder.js";
import { SegAttr, type SegmentCache } from "../cpu-state.js";
import { semantics } from "../semantics/index.js";
import { SegIndex, StateOff } from "../state-layout.js";

export const TEST_PORTS = { CONSOLE: 0xe9, EXIT: 0xf4 } as const;

export const enum TestLayout {
  GDT = 0x9000,
  PML4 = 0x10000,
  PDPT = 0x11000,
  PD = 0x12000,
  CODE = 0x100000,
  STACK_TOP = 0x80000,
}

export interface TestCpu {
  cpu: Cpu;
  memory: WebAssembly.Memory;
  ram: Uint8Array;
  console: number[];
  exitCode: number | undefined;
  logs: string[];
  ioWrites: { port: number; value: number; size: number }[];
  load(gpa: number, bytes: Uint8Array | number[]): void;
  enterLongMode(rip?: number): void;
  enterProtectedMode(rip?: number): void;
  /** Run until the exit port is written, HLT, or `budget` instructions; returns why it stopped. */
  run(budget?: number): string;
}

export function createTestCpu(ramBytes = 4 << 20, nowMs?: () => number, jit?: WasmBackendOptions): TestCpu {
  const pages = Math.ceil((WasmLayout.RAM_BASE + ramBytes) / WasmLayout.WASM_PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536 });
  const ram = new Uint8Array(memory.buffer, WasmLayout.RAM_BASE, ramBytes);
  const logs: string[] = [];
  const t: Partial<TestCpu> & { console: number[]; ioWrites: TestCpu["ioWrites"] } = { console: [], ioWrites: [], exitCode: undefined, logs };
  let cpuRef: Cpu | null = null;
  const bus: CpuBus = {
    mem: {
      ramWasmOffset: (gpa) => (gpa >= 0 && gpa < ramBytes ? WasmLayout.RAM_BASE + gpa : -1),
      readMmio: () => 0xffffffff,
      writeMmio: () => {},
    },
    io: {
      in: () => 0xffffffff,
      out: (port, value, size) => {
        t.ioWrites.push({ port, value, size });
        if (port === TEST_PORTS.CONSOLE) t.console.push(value & 0xff);
        if (port === TEST_PORTS.EXIT) { t.exitCode = value; cpuRef?.requestStop(); }
      },
    },
    irq: null,
    readTsc: () => ({ lo: 0, hi: 0 }),
    requestReset: () => {},
  };
  const log = new Logger((cat, msg) => logs.push(`${cat}: ${msg}`));
  const cpu = new Cpu({ memory, bus, log, decode, semantics, backend: (host) => new WasmBackend(host, nowMs, jit) });
  cpuRef = cpu;
  const dv = new DataView(memory.buffer, WasmLayout.RAM_BASE, ramBytes);
  const s = cpu.state;

  const writeGdt = (): void => {
    // null, 64-bit code (0x08), data (0x10), 32-bit code (0x18)
    const e = [[0, 0], [0x0000ffff, 0x00af9b00], [0x0000ffff, 0x00cf9300], [0x0000ffff, 0x00cf9b00]];
    e.forEach(([lo, hi], i) => { dv.setUint32(TestLayout.GDT + i * 8, lo!, true); dv.setUint32(TestLayout.GDT + i * 8 + 4, hi!, true); });
    s.setNum(StateOff.GDTR, TestLayout.GDT);
    s.set32(StateOff.GDTR + 8, e.length * 8 - 1);
  };
  const flatData = { selector: 0x10, base: 0, limit: 0xffffffff, attr: SegAttr.P | SegAttr.S | 3 | SegAttr.DB | SegAttr.G };
  /** CPL 0 with code segment `cs` and flat data segments, at `rip` with the test stack. */
  const enterFlat = (cs: SegmentCache, rip: number): void => {
    s.setSeg(SegIndex.CS, cs);
    for (const seg of [SegIndex.DS, SegIndex.ES, SegIndex.SS, SegIndex.FS, SegIndex.GS]) s.setSeg(seg, flatData);
    s.cpl = 0;
    s.rip = rip;
    s.setReg(4, TestLayout.STACK_TOP);
    cpu.modeChanged();
    cpu.flushTlb();
  };

  Object.assign(t, {
    cpu, memory, ram,
    load: (gpa: number, bytes: Uint8Array | number[]) => ram.set(bytes, gpa),
    enterLongMode: (rip = TestLayout.CODE) => {
      writeGdt();
      dv.setUint32(TestLayout.PML4, TestLayout.PDPT | 3, true);
      dv.setUint32(TestLayout.PDPT, TestLayout.PD | 3, true);
      for (let i = 0; i < 512; i++) dv.setUint32(TestLayout.PD + i * 8, (i << 21) | 0x83, true);
      s.set64(StateOff.CR3, TestLayout.PML4, 0);
      s.set64(StateOff.CR4, 1 << 5, 0); // PAE
      s.set64(StateOff.EFER, (1 << 8) | (1 << 10) | (1 << 11), 0); // LME LMA NXE
      s.set64(StateOff.CR0, 0x80010033 | 0, 0); // PG WP NE ET MP PE
      enterFlat({ selector: 0x08, base: 0, limit: 0xffffffff, attr: SegAttr.P | SegAttr.S | 0xb | SegAttr.L | SegAttr.G }, rip);
    },
    enterProtectedMode: (rip = TestLayout.CODE) => {
      writeGdt();
      s.set64(StateOff.CR0, 0x11, 0);
      enterFlat({ selector: 0x18, base: 0, limit: 0xffffffff, attr: SegAttr.P | SegAttr.S | 0xb | SegAttr.DB | SegAttr.G }, rip);
    },
    run: (budget = 1_000_000) => {
      for (let i = 0; i < 1000; i++) {
        const r = cpu.run(budget);
        if (r !== "budget" || t.exitCode !== undefined) return r;
        if (cpu.stats.insnsRetired >= budget) return r;
      }
      return "budget";
    },
  });
  return t as TestCpu;
}
