/**
 * A qtest-like harness (QEMU qtest_outb / readl / irq_intercept_in): an I/O port space and a
 * physical memory space, a deterministic VirtualClock, a logger that captures lines and a
 * SystemControl that records requests, so device tests drive registers with no guest code.
 *
 *   const m = createTestMachine();
 *   const irq = m.irq();
 *   const uart = new Serial16550({ irq, backend, clock: m.clock });
 *   m.mapIo(0x3f8, 8, uart);
 *   m.outb(0x3f9, 0x02); expect(irq.level).toBe(1);
 */

import { Disposable } from "../../common/lifecycle.js";
import { Logger, type LogCategory } from "../../common/log.js";
import { AddressSpace } from "../../memory/address-space.js";
import { MemoryRegion } from "../../memory/memory-region.js";
import type { RegionOps, U64 } from "../../memory/types.js";
import { IrqRecorder } from "../irq.js";
import { VirtualClock } from "../virtual-clock.js";
import { RecordingSystemControl } from "./recording-system-control.js";

export interface TestMachineOptions {
  /** Size of the physical address space (default 2^40). */
  memSize?: number;
  /** Extra log categories to capture beyond guest_error and unimp. */
  logCategories?: LogCategory[];
  /** Virtual ns per instruction for the deterministic clock (default 1). */
  nsPerInsn?: number;
}

export class TestMachine extends Disposable {
  /** Captured log lines, "category: message". */
  readonly logs: string[] = [];
  readonly logger: Logger;
  readonly clock: VirtualClock;
  readonly system = new RecordingSystemControl();
  readonly ioRoot = MemoryRegion.container("io", 0x10000);
  readonly memRoot: MemoryRegion;
  readonly io: AddressSpace;
  readonly mem: AddressSpace;

  constructor(opts: TestMachineOptions = {}) {
    super();
    this.logger = new Logger((c, m) => this.logs.push(`${c}: ${m}`));
    this.logger.maxRepeats = 1000;
    if (opts.logCategories) this.logger.enable(...opts.logCategories);
    this.clock = new VirtualClock({ mode: "deterministic", nsPerInsn: opts.nsPerInsn ?? 1 });
    this.memRoot = MemoryRegion.container("system", opts.memSize ?? 2 ** 40);
    this.io = this._register(new AddressSpace("io", this.ioRoot, this.logger));
    this.mem = this._register(new AddressSpace("memory", this.memRoot, this.logger));
  }

  /** Map device ops at `port` in the I/O space. */
  mapIo(port: number, size: number, ops: RegionOps, name = `io@${port.toString(16)}`, priority?: number): MemoryRegion {
    const r = MemoryRegion.io(name, size, ops);
    this.ioRoot.addSubregion(r, port, priority === undefined ? {} : { priority });
    return r;
  }

  /** Map device ops at `gpa` in the memory space. */
  mapMmio(gpa: number, size: number, ops: RegionOps, name = `mmio@${gpa.toString(16)}`, priority?: number): MemoryRegion {
    const r = MemoryRegion.io(name, size, ops);
    this.memRoot.addSubregion(r, gpa, priority === undefined ? {} : { priority });
    return r;
  }

  /** Map `size` bytes of RAM at `gpa`; returns its backing bytes. */
  mapRam(gpa: number, size: number, name = "ram"): Uint8Array {
    const bytes = new Uint8Array(size);
    this.memRoot.addSubregion(MemoryRegion.ram(name, bytes), gpa);
    return bytes;
  }

  /** An IrqLine that records its transitions (qtest irq_intercept). */
  irq(): IrqRecorder { return new IrqRecorder(); }

  outb(port: number, v: number): void { this.io.write(port, v, 1); }
  outw(port: number, v: number): void { this.io.write(port, v, 2); }
  outl(port: number, v: number): void { this.io.write(port, v, 4); }
  inb(port: number): number { return this.io.read(port, 1); }
  inw(port: number): number { return this.io.read(port, 2); }
  inl(port: number): number { return this.io.read(port, 4); }

  writeb(gpa: number, v: number): void { this.mem.write(gpa, v, 1); }
  writew(gpa: number, v: number): void { this.mem.write(gpa, v, 2); }
  writel(gpa: number, v: number): void { this.mem.write(gpa, v, 4); }
  writeq(gpa: number, lo: number, hi: number): void { this.mem.write64(gpa, lo, hi); }
  readb(gpa: number): number { return this.mem.read(gpa, 1); }
  readw(gpa: number): number { return this.mem.read(gpa, 2); }
  readl(gpa: number): number { return this.mem.read(gpa, 4); }
  readq(gpa: number): U64 { return this.mem.read64(gpa); }

  /** Advance virtual time by `ns` and fire due timers (qtest clock_step). */
  advance(ns: number): void {
    this.clock.advance(ns);
    this.clock.runDueTimers();
  }

  /** Jump to the next timer deadline and fire it; returns the new time. */
  stepToNextDeadline(): number {
    this.clock.warpToNextDeadline();
    this.clock.runDueTimers();
    return this.clock.now();
  }

  /** Log lines of one category. */
  logsOf(category: LogCategory): string[] {
    return this.logs.filter((l) => l.startsWith(`${category}: `));
  }
}

export function createTestMachine(opts: TestMachineOptions = {}): TestMachine {
  return new TestMachine(opts);
}
