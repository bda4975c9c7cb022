/**
 * Machine: one emulated computer, host-neutral. It owns the Wasm memory, the address spaces,
 * the device tree, the virtual clock and the CPU; a board function (pc.ts, microvm.ts) builds
 * and wires them. Hosts drive it with `runSlice()` and act on the result (keep going, idle
 * until a deadline, or stop with an exit code). Many machines can live in one process;
 * `dispose()` releases everything.
 */

import { fmtSize } from "../boot/bytes.js";
import { ConfigError } from "../common/errors.js";
import { Disposable, Emitter, type Event, type IDisposable } from "../common/lifecycle.js";
import { Logger, type LogCategory, type LogSink } from "../common/log.js";
import type { Cpu, StopReason } from "../cpu/cpu.js";
import type { CharBackend } from "../devices/char-backend.js";
import type { Device } from "../devices/device.js";
import type { ShutdownCause, SystemControl } from "../devices/system-control.js";
import { VirtualClock } from "../devices/virtual-clock.js";
import type { AddressSpace } from "../memory/address-space.js";
import { WasmLayout } from "../memory/wasm-layout.js";

export interface MachineOptions {
  /** Board: "pc" (default) or "microvm" (src/machine/create.ts picks it). */
  board?: "pc" | "microvm";
  /** Guest RAM in bytes (default 512 MiB, at most 3.5 GiB: all of it below the PCI hole). */
  memoryBytes?: number;
  /** -kernel: a bzImage, a PVH vmlinux or a multiboot image. */
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline?: string;
  /** COM1's backend (default: output discarded). */
  serial?: CharBackend;
  /** COM2..COM4 backends (QEMU's second to fourth -serial); a UART exists for each one given. */
  extraSerials?: readonly CharBackend[];
  /** "deterministic": time advances with retired instructions; "realtime" needs hostNowNs. */
  clock?: { mode: "deterministic" } | { mode: "realtime"; hostNowNs: () => number };
  logSink?: LogSink;
  log?: LogCategory[];
  /** Turn guest resets into an exit (QEMU -no-reboot). */
  noReboot?: boolean;
  /** Host time in ms, for statistics (compile time). */
  nowMs?: () => number;
  /** JIT options: block linking (default on), counters in generated code for `info jit` (default off). */
  jit?: { link?: boolean; stats?: boolean };
  /** Guest wall-clock time at power-on (Unix ms) for the RTC; hosts pass Date.now(). */
  rtcStartMs?: number;
}

export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;
export const MAX_MEMORY_BYTES = 0xe000_0000;

/** What a slice of execution ended with. */
export type SliceResult =
  | { kind: "running" }
  /** The CPU is halted; nothing happens before virtual time `untilNs` (Infinity: never). */
  | { kind: "idle"; untilNs: number }
  /** A host breakpoint or host single-step stopped the CPU (cpu.debug.stopCause says which). */
  | { kind: "debug" }
  | { kind: "exit"; exitCode: number; reason: string };

export class Machine extends Disposable implements SystemControl {
  readonly log: Logger;
  readonly clock: VirtualClock;
  readonly wasmMemory: WebAssembly.Memory;
  readonly ramBytes: number;
  /** Set by the board. */
  cpu!: Cpu;
  memory!: AddressSpace;
  io!: AddressSpace;
  /** The board's top-level devices, in realize order (children hang off them). */
  readonly devices: Device[] = [];
  /** Board-specific reset of devices and reload of the kernel. */
  resetHook: () => void = () => {};
  private _pending: ShutdownCause | null = null;
  private readonly _onShutdown = this._register(new Emitter<ShutdownCause>());
  readonly onShutdown: Event<ShutdownCause> = this._onShutdown.event;
  readonly noReboot: boolean;

  constructor(opts: MachineOptions) {
    super();
    const mem = opts.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    if (!Number.isSafeInteger(mem) || mem < 16 * 1024 * 1024 || mem > MAX_MEMORY_BYTES)
      throw new ConfigError(`memory size ${Number.isSafeInteger(mem) ? fmtSize(mem) : String(mem)} is out of range (16 MiB .. 3584 MiB: RAM sits below the PCI hole)`);
    this.ramBytes = mem;
    this.noReboot = opts.noReboot ?? false;
    this.log = new Logger(opts.logSink);
    if (opts.log) this.log.enable(...opts.log);
    const c = opts.clock ?? { mode: "deterministic" as const };
    this.clock = new VirtualClock(c.mode === "realtime" ? { mode: "realtime", hostNowNs: c.hostNowNs } : { mode: "deterministic" });
    const pages = Math.ceil((WasmLayout.RAM_BASE + mem) / WasmLayout.WASM_PAGE);
    this.wasmMemory = new WebAssembly.Memory({ initial: pages, maximum: 65536 });
  }

  /**
   * Connect the clock to the CPU (the board calls this once the CPU exists): in deterministic
   * mode time includes the instructions of the slice under way, and a timer armed for earlier
   * than the slice would end stops the CPU at the next block boundary.
   */
  attachClockToCpu(): void {
    const cpu = this.cpu;
    this.clock.setInstructionSource(() => cpu.insnsInCurrentRun());
    this.clock.setArmListener((deadlineNs) => {
      if (deadlineNs >= this._sliceEndNs) return;
      this._sliceEndNs = deadlineNs;
      cpu.shortenRun(Math.ceil(deadlineNs - this.clock.now()));
    });
  }
  private _sliceEndNs = Infinity;

  /** Take ownership of a board part: it is disposed with the machine. */
  own<T extends IDisposable>(d: T): T {
    return this._register(d);
  }

  /** Own, realize and list a top-level device of the board. */
  addDevice<D extends Device>(d: D): D {
    this._register(d);
    d.realize();
    this.devices.push(d);
    return d;
  }

  /** `info qtree`-style dump of the board's devices. */
  dumpQtree(): string {
    return this.devices.map((d) => d.dumpTree()).join("");
  }

  /** Guest RAM as bytes (gpa 0 .. ramBytes). */
  get ram(): Uint8Array {
    return new Uint8Array(this.wasmMemory.buffer, WasmLayout.RAM_BASE, this.ramBytes);
  }

  // ---- SystemControl: requests act at the next slice boundary
  requestReset(reason: string): void {
    this._pending ??= { kind: "reset", reason };
    this.cpu?.requestStop();
  }
  requestPowerOff(reason: string, exitCode = 0): void {
    this._pending = { kind: "poweroff", reason, exitCode };
    this.cpu?.requestStop();
  }

  /**
   * Act on a pending reset or power-off request now: runSlice does this after every slice,
   * the monitor's `system_reset` while the guest is stopped. Undefined when nothing is pending.
   */
  serviceRequests(): SliceResult | undefined {
    const p = this._pending;
    if (!p) return undefined;
    this._pending = null;
    this._onShutdown.fire(p);
    if (p.kind === "poweroff") return { kind: "exit", exitCode: p.exitCode, reason: p.reason };
    if (this.noReboot) return { kind: "exit", exitCode: 0, reason: `reset (${p.reason}) with -no-reboot` };
    this.resetHook();
    return { kind: "running" };
  }

  /**
   * Run guest code for at most `maxInsns` instructions (fewer if a timer is due sooner in
   * deterministic mode), fire due timers, and report.
   */
  runSlice(maxInsns = 200_000): SliceResult {
    const clock = this.clock;
    let budget = maxInsns;
    if (clock.mode === "deterministic") {
      const next = clock.nextDeadline();
      if (next !== Infinity) budget = Math.max(1, Math.min(budget, Math.ceil(next - clock.now())));
    }
    const before = this.cpu.stats.insnsRetired;
    this._sliceEndNs = clock.mode === "deterministic" ? clock.now() + budget : Infinity;
    const stop: StopReason = this.cpu.run(budget);
    this._sliceEndNs = Infinity;
    if (clock.mode === "deterministic") clock.advanceInsns(this.cpu.stats.insnsRetired - before);
    clock.runDueTimers();
    const request = this.serviceRequests();
    if (request) return request;
    if (stop === "reset") {
      // A triple fault that did not come through requestReset.
      if (this.noReboot) return { kind: "exit", exitCode: 0, reason: "triple fault with -no-reboot" };
      this.resetHook();
      return { kind: "running" };
    }
    if (stop === "halt") {
      const until = clock.nextDeadline();
      if (clock.mode === "deterministic" && until !== Infinity) {
        clock.warpToNextDeadline();
        clock.runDueTimers();
        return { kind: "running" };
      }
      return { kind: "idle", untilNs: until };
    }
    if (stop === "debug") return { kind: "debug" };
    return { kind: "running" };
  }
}
