/**
 * The gdbstub (GDB Remote Serial Protocol, one CPU = thread 1), host-neutral: the host feeds
 * it the bytes gdb sent (`receive`), sends what it passes to `send`, and tells it when the
 * machine stopped for the debugger (`debugStop`, after Machine.runSlice returned "debug") or
 * ended (`exited`). Run control goes through a GdbRunControl (the host's stop/cont/quit, the
 * same one the monitor uses): the guest is stopped while gdb looks at it and runs between a
 * `c`/`s`/`vCont` and the stop reply.
 *
 * Breakpoints (Z0 software, Z1 hardware) are host breakpoints (CpuDebug.setHostBreakpoints):
 * guest memory is never patched with int3, and guest DR0-DR7 stay the guest's. `s` is the
 * host single-step. Memory (`m`/`M`) is addressed virtually, through the guest's page tables
 * with Mmu.translateDebug (no accessed/dirty writes, no guest fault); only RAM and ROM are
 * accessible (a device read could have side effects); a write invalidates translated code on
 * the pages it touched. `monitor CMD` (qRcmd) runs a monitor command when the host gives a
 * monitor. Watchpoints (Z2-Z4), `X` and no-ack mode are not offered: gdb falls
 * back (software watchpoints, `M`, acks).
 */

import type { Machine } from "../machine/machine.js";
import type { DebugStopCause } from "../cpu/debug.js";
import { encodePacket, fromHex, PacketReader, toHex } from "./packet.js";
import { REGISTERS, TARGET_XML } from "./registers.js";

/** The host's run control (the monitor's RunControl has the same shape). */
export interface GdbRunControl {
  readonly running: boolean;
  stop(): void;
  cont(): void;
  quit(exitCode: number): void;
}

const SIGINT = 2, SIGTRAP = 5;
const TWO32 = 4294967296;
/** The largest packet gdb may send (hex of M and G packets included). */
const PACKET_SIZE = 0x4000;

/**
 * A hex address (up to 16 digits, a 64-bit two's complement value) as the signed JS number
 * the CPU uses for linear addresses (canonical addresses are exact); undefined if malformed.
 */
export function parseAddress(hex: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return undefined;
  const lo = parseInt(hex.slice(-8), 16);
  const hi = hex.length > 8 ? parseInt(hex.slice(0, -8), 16) | 0 : 0;
  const v = hi * TWO32 + lo;
  return Number.isSafeInteger(v) ? v : undefined;
}

export class GdbStub {
  private readonly _reader: PacketReader;
  /** Z0/Z1 breakpoints as "type:address" (gdb may set both kinds at one address). */
  private readonly _bps = new Set<string>();
  /** A `c` or `s` is under way: the next stop is reported. */
  private _resumed = false;
  /** The signal of the last stop (what `?` reports). */
  private _lastSignal = SIGTRAP;

  constructor(
    private readonly _machine: Machine,
    private readonly _control: GdbRunControl,
    private readonly _send: (data: string) => void,
    /** `monitor CMD` in gdb (qRcmd): runs a monitor command line and returns its text. */
    private readonly _monitor?: (line: string) => string,
  ) {
    this._reader = new PacketReader((ack) => this._send(ack));
  }

  /** gdb connected: stop the guest (as QEMU does) until it says continue. */
  attach(): void {
    this._resumed = false;
    this._control.stop();
  }

  /** gdb went away: forget its breakpoints and let the guest run. */
  detach(): void {
    this._bps.clear();
    this._applyBreakpoints();
    this._machine.cpu.debug.setHostStep(false);
    this._resumed = false;
    this._control.cont();
  }

  /** Bytes from gdb. */
  receive(data: Uint8Array): void {
    for (const ev of this._reader.feed(data)) {
      if (ev.kind === "interrupt") {
        if (this._resumed) {
          this._control.stop();
          this._stopped(SIGINT);
        }
      } else if (ev.kind === "packet") {
        const reply = this.handle(ev.payload);
        if (reply !== undefined) this._send(encodePacket(reply));
      }
    }
  }

  /** The machine stopped for the debugger (runSlice returned "debug"); the host already stopped the run loop. */
  debugStop(_cause: DebugStopCause): void {
    if (this._resumed) this._stopped(SIGTRAP);
  }

  /** The guest ended (power-off, isa-debug-exit, reset with -no-reboot) with this exit status. */
  exited(exitCode: number): void {
    if (!this._resumed) return;
    this._resumed = false;
    this._send(encodePacket(`W${(exitCode & 0xff).toString(16).padStart(2, "0")}`));
  }

  private _stopped(signal: number): void {
    this._resumed = false;
    this._lastSignal = signal;
    this._machine.cpu.debug.setHostStep(false);
    this._send(encodePacket(stopReply(signal)));
  }

  /** One packet's reply (undefined: none now; a stop reply comes later). Empty = unsupported. */
  handle(p: string): string | undefined {
    const cpu = this._machine.cpu;
    switch (p[0]) {
      case "?": return stopReply(this._lastSignal);
      case "g": return REGISTERS.map((r) => toHex(r.read(cpu))).join("");
      case "G": return this._writeAllRegisters(p.slice(1));
      case "p": {
        const r = REGISTERS[parseInt(p.slice(1), 16)];
        return r && /^[0-9a-fA-F]+$/.test(p.slice(1)) ? toHex(r.read(cpu)) : "E00";
      }
      case "P": return this._writeRegister(p.slice(1));
      case "m": return this._readMemory(p.slice(1));
      case "M": return this._writeMemory(p.slice(1));
      case "c": case "C": return this._resume(false); // a signal to deliver (C/S) is ignored
      case "s": case "S": return this._resume(true);
      case "v": return this._v(p);
      case "Z": case "z": return this._breakpoint(p);
      case "D":
        this.detach();
        return "OK";
      case "k":
        this._control.quit(0);
        return undefined;
      case "H": return "OK";
      case "T": return p.slice(1) === "1" || p.slice(1) === "01" ? "OK" : "E00";
      case "q": return this._query(p);
      default: return "";
    }
  }

  private _query(p: string): string {
    if (p.startsWith("qSupported")) return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+`;
    if (p === "qAttached") return "1";
    if (p === "qC") return "QC01";
    if (p === "qfThreadInfo") return "m01";
    if (p === "qsThreadInfo") return "l";
    if (p.startsWith("qSymbol")) return "OK";
    if (p.startsWith("qRcmd,") && this._monitor) {
      const line = fromHex(p.slice(6));
      if (!line) return "E00";
      const text = this._monitor(String.fromCharCode(...line));
      return text === "" ? "OK" : toHex(Array.from(text, (c) => c.charCodeAt(0) & 0xff));
    }
    const x = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
    if (x) {
      if (x[1] !== "target.xml") return "E00";
      const off = parseInt(x[2]!, 16), len = parseInt(x[3]!, 16);
      const chunk = TARGET_XML.slice(off, off + len);
      return (off + len >= TARGET_XML.length ? "l" : "m") + chunk;
    }
    return "";
  }

  private _v(p: string): string | undefined {
    if (p === "vCont?") return "vCont;c;C;s;S";
    if (p.startsWith("vCont;")) {
      // One thread: the first action that applies to it (all apply) decides.
      const actions = p.slice(6).split(";").map((a) => a.split(":")[0]![0]);
      const step = actions.find((a) => a === "s" || a === "S" || a === "c" || a === "C");
      if (step === undefined) return "E00";
      return this._resume(step === "s" || step === "S");
    }
    return "";
  }

  private _resume(step: boolean): undefined {
    const cpu = this._machine.cpu;
    // Re-arming computes the skip of a breakpoint at the current RIP (resuming from it).
    this._applyBreakpoints();
    cpu.debug.setHostStep(step);
    this._resumed = true;
    this._control.cont();
    return undefined;
  }

  private _breakpoint(p: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(p);
    if (!m) return "E00";
    if (m[2] !== "0" && m[2] !== "1") return "";
    const addr = parseAddress(m[3]!);
    if (addr === undefined) return "E00";
    const key = `${m[2]}:${addr}`;
    if (m[1] === "Z") this._bps.add(key);
    else this._bps.delete(key);
    this._applyBreakpoints();
    return "OK";
  }

  private _applyBreakpoints(): void {
    this._machine.cpu.debug.setHostBreakpoints([...this._bps].map((k) => Number(k.slice(2))));
  }

  private _writeRegister(args: string): string {
    const m = /^([0-9a-fA-F]+)=([0-9a-fA-F]*)$/.exec(args);
    const r = m ? REGISTERS[parseInt(m[1]!, 16)] : undefined;
    const v = m ? fromHex(m[2]!) : undefined;
    if (!r || !v || v.length !== r.bytes) return "E00";
    return r.write(this._machine.cpu, v) ? "OK" : "E01";
  }

  private _writeAllRegisters(hex: string): string {
    const v = fromHex(hex);
    if (!v) return "E00";
    let at = 0, ok = true;
    for (const r of REGISTERS) {
      if (at + r.bytes > v.length) break; // gdb may send fewer registers
      ok = r.write(this._machine.cpu, v.subarray(at, at + r.bytes)) && ok;
      at += r.bytes;
    }
    return ok ? "OK" : "E01";
  }

  /** RAM/ROM bytes backing the guest virtual address `gva` up to its page end, or undefined. */
  private _span(gva: number): { bytes: Uint8Array; at: number; length: number; physPage: number } | undefined {
    const gpa = this._machine.cpu.softmmu.mmu.translateDebug(gva);
    if (gpa < 0) return undefined;
    const r = this._machine.memory.flatView.find(gpa);
    if (!r || (r.region.kind !== "ram" && r.region.kind !== "rom")) return undefined;
    const pageLeft = 4096 - (((gva % 4096) + 4096) % 4096);
    return { bytes: r.region.bytes, at: r.regionOffset + (gpa - r.start), length: Math.min(pageLeft, r.end - gpa), physPage: Math.floor(gpa / 4096) };
  }

  /** Visit the accessible spans of [addr, addr + len) in order; stops at the first hole. Returns bytes visited. */
  private _eachSpan(addr: number, len: number, f: (bytes: Uint8Array, at: number, n: number, done: number, physPage: number) => void): number {
    let done = 0;
    while (done < len) {
      const s = this._span(addr + done);
      if (!s) break;
      const n = Math.min(s.length, len - done);
      f(s.bytes, s.at, n, done, s.physPage);
      done += n;
    }
    return done;
  }

  private _readMemory(args: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    const addr = m ? parseAddress(m[1]!) : undefined;
    const len = m ? parseInt(m[2]!, 16) : NaN;
    if (addr === undefined || !(len <= PACKET_SIZE / 2)) return "E00";
    if (len === 0) return "";
    let hex = "";
    const n = this._eachSpan(addr, len, (bytes, at, k) => { hex += toHex(bytes.subarray(at, at + k)); });
    return n ? hex : "E14";
  }

  private _writeMemory(args: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(args);
    const addr = m ? parseAddress(m[1]!) : undefined;
    const data = m ? fromHex(m[3]!) : undefined;
    if (addr === undefined || !data || data.length !== parseInt(m![2]!, 16)) return "E00";
    // All or nothing: check the whole range first.
    if (this._eachSpan(addr, data.length, () => {}) !== data.length) return "E14";
    const tbs = this._machine.cpu.tbs;
    this._eachSpan(addr, data.length, (bytes, at, k, done, physPage) => {
      bytes.set(data.subarray(done, done + k), at);
      tbs.invalidatePage(physPage);
    });
    return "OK";
  }
}

/** A stop reply for thread 1. */
function stopReply(signal: number): string {
  return `T${signal.toString(16).padStart(2, "0")}thread:01;`;
}
