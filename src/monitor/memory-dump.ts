/**
 * `x` and `xp`: guest memory dumps in QEMU's format. `x` takes a virtual address and walks the
 * guest's page tables with Mmu.translateDebug (no accessed/dirty writes, no fault raised in
 * the guest; an unmapped page prints "Cannot access memory"); `xp` takes a physical address.
 * RAM and ROM are read directly; MMIO is read through the device with the element size, as
 * QEMU does (a device read may have the device's side effects); unassigned space cannot be
 * accessed. `/i` disassembles with the CPU's decoder and the formatter in src/cpu/decode.
 */

import type { Cpu } from "../cpu/cpu.js";
import { decode, isFault } from "../cpu/decode/decoder.js";
import { formatInsn } from "../cpu/decode/format.js";
import type { CodeMode } from "../cpu/decode/insn.js";
import { HFlag } from "../cpu/state-layout.js";
import type { AddressSpace } from "../memory/address-space.js";
import type { AccessSize } from "../memory/types.js";
import { MonitorError } from "./expr.js";
import * as U from "./u64.js";
import type { U64 } from "./u64.js";

export type DumpFormat = "x" | "d" | "u" | "o" | "c" | "i";
export type DumpSize = 1 | 2 | 4 | 8;

export interface Fmt {
  count: number;
  format: DumpFormat;
  size: DumpSize;
  /** Whether a size letter was given (for /i it picks the code size). */
  explicitSize: boolean;
}

const SIZE_LETTERS: Record<string, DumpSize> = { b: 1, h: 2, w: 4, g: 8 };
const FORMATS = new Set<string>(["x", "d", "u", "o", "c", "i"]);
/** More than this many items is refused (a typo like /100000000x would flood the console). */
const MAX_COUNT = 65536;

/**
 * Parse QEMU's `/FMT` (without the slash): [count][format letters][size letters] in any order
 * after the count. Omitted parts come from `last` (QEMU remembers the previous format and size).
 */
export function parseFmt(text: string, last: { format: DumpFormat; size: DumpSize }): Fmt {
  const m = /^(\d*)([a-z]*)$/.exec(text);
  if (!m) throw new MonitorError(`invalid format '/${text}' (expected /[count][xduoci][bhwg])`);
  const count = m[1] ? Number(m[1]) : 1;
  if (count < 1 || count > MAX_COUNT) throw new MonitorError(`invalid count ${m[1]} (1..${MAX_COUNT})`);
  let format: DumpFormat | undefined;
  let size: DumpSize | undefined;
  for (const ch of m[2]!) {
    if (FORMATS.has(ch)) format = ch as DumpFormat;
    else if (SIZE_LETTERS[ch] !== undefined) size = SIZE_LETTERS[ch];
    else throw new MonitorError(`invalid char in format: '${ch}'`);
  }
  return { count, format: format ?? last.format, size: size ?? last.size, explicitSize: size !== undefined };
}

/** Reads guest memory for a dump; undefined = cannot access. */
export class GuestMemoryReader {
  private readonly _u8: Uint8Array;
  constructor(private readonly _cpu: Cpu, private readonly _mem: AddressSpace, private readonly _virtual: boolean) {
    this._u8 = new Uint8Array(_cpu.softmmu.view.buffer);
  }

  /** Physical address of `addr` (identity for xp), or -1. */
  private _phys(addr: number): number {
    return this._virtual ? this._cpu.softmmu.mmu.translateDebug(addr) : addr >= 0 && addr < 2 ** 52 ? addr : -1;
  }

  private _ramByte(gpa: number): number | undefined {
    const r = this._mem.flatView.find(gpa);
    if (!r || r.region.kind === "io") return undefined;
    return r.region.bytes[r.regionOffset + (gpa - r.start)];
  }

  /** One element of `size` bytes, little-endian. */
  read(addr: number, size: DumpSize): U64 | undefined {
    const gpa = this._phys(addr);
    if (gpa < 0) return undefined;
    const r = this._mem.flatView.find(gpa);
    if (!r) return undefined;
    const inPage = !this._virtual || (((addr % 4096) + 4096) % 4096) + size <= 4096;
    if (r.region.kind === "io" && inPage) {
      if (size === 8) {
        const v = this._mem.read64(gpa);
        return U.u64(v.hi, v.lo);
      }
      return U.u64(0, this._mem.read(gpa, size as AccessSize));
    }
    // RAM/ROM (or an element straddling pages): byte by byte, each byte translated.
    let lo = 0, hi = 0;
    for (let i = 0; i < size; i++) {
      const p = i === 0 ? gpa : this._phys(addr + i);
      const b = p < 0 ? undefined : this._ramByte(p) ?? (this._mem.flatView.find(p) ? this._mem.read(p, 1) : undefined);
      if (b === undefined) return undefined;
      if (i < 4) lo |= b << (8 * i);
      else hi |= b << (8 * (i - 4));
    }
    return U.u64(hi, lo);
  }

  /** A byte for the disassembler's CodeReader (-1 = cannot fetch). */
  readByte(addr: number): number {
    const v = this.read(addr, 1);
    return v === undefined ? -1 : v.lo;
  }
}

function printChar(c: number): string {
  const ch = String.fromCharCode(c);
  const esc: Record<string, string> = { "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r" };
  return `'${esc[ch] ?? (c >= 32 && c <= 126 ? ch : `\\x${c.toString(16).padStart(2, "0")}`)}'`;
}

/** One value in a dump column (QEMU's widths: hex 2 digits per byte, octal and decimal right-aligned). */
export function formatValue(v: U64, format: DumpFormat, size: DumpSize): string {
  switch (format) {
    case "x": return `0x${U.hexPad(v, size)}`;
    case "o": return (U.isZero(v) ? "0" : `0${U.toStringU(v, 8)}`).padStart(Math.ceil((size * 8) / 3), " ");
    case "u": return U.toStringU(v, 10).padStart(Math.ceil((size * 80) / 33), " ");
    case "d": return U.toStringS(U.truncate(v, size, true)).padStart(Math.ceil((size * 80) / 33), " ");
    case "c": return printChar(v.lo & 0xff);
    case "i": throw new MonitorError("internal: /i is not a value format");
  }
}

/** Code mode for `/i`: size h = 16-bit, w = 32-bit, g = 64-bit; otherwise the current CS. */
function codeModeFor(cpu: Cpu, fmt: Fmt): CodeMode {
  if (fmt.explicitSize && fmt.size !== 1) return fmt.size === 2 ? 16 : fmt.size === 4 ? 32 : 64;
  const h = cpu.state.hflags;
  return h & HFlag.CS64 ? 64 : h & HFlag.CS32 ? 32 : 16;
}

/**
 * The text of `x`/`xp` for `fmt` at `addr` (an unsigned 64-bit value; virtual addresses are
 * taken as canonical, i.e. sign-extended from bit 47).
 */
export function memoryDump(cpu: Cpu, mem: AddressSpace, fmt: Fmt, addr: U64, physical: boolean): string {
  const reader = new GuestMemoryReader(cpu, mem, !physical);
  const out: string[] = [];
  let a = U.toNumber(addr);
  const label = (x: number): string => U.hexPad(U.fromNumber(x), 8);
  if (physical && a < 0) return `${U.hexPad(addr, 8)}: Cannot access memory\n`;
  if (fmt.format === "i") {
    const mode = codeModeFor(cpu, fmt);
    for (let n = 0; n < fmt.count; n++) {
      const r = decode({ readByte: (g) => reader.readByte(g) }, a, mode);
      if (isFault(r)) {
        out.push(`0x${label(a)}:  ${r.fault === "PF" ? "Cannot access memory" : "(bad)"}`);
        if (r.fault !== "UD") break;
        a += 1;
        continue;
      }
      out.push(`0x${label(a)}:  ${formatInsn(r)}`);
      a += r.len;
    }
    return out.join("\n") + "\n";
  }
  const size = fmt.format === "c" ? 1 : fmt.size;
  const lineBytes = size === 1 ? 8 : 16;
  let left = fmt.count * size;
  while (left > 0) {
    const n = Math.min(left, lineBytes);
    let line = `${label(a)}:`;
    for (let i = 0; i < n; i += size) {
      const v = reader.read(a + i, size);
      if (v === undefined) {
        out.push(`${line} Cannot access memory`);
        return out.join("\n") + "\n";
      }
      line += ` ${formatValue(v, fmt.format, size)}`;
    }
    out.push(line);
    a += n;
    left -= n;
  }
  return out.join("\n") + "\n";
}
