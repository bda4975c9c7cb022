/**
 * The gdbstub's register file: the target description gdb reads with
 * `qXfer:features:read:target.xml` (i386:x86-64; the core feature, SSE and the FS/GS bases)
 * and the register values in that order, as little-endian bytes, read from and written to
 * the CPU state (64-bit values through their (lo, hi) halves; EFLAGS through Cpu.eflags,
 * which evaluates the lazy arithmetic flags). Segment selectors are read-only here (loading
 * one needs a descriptor-table walk that a debugger write must not fault on): writing a
 * different value fails.
 */

import type { Cpu } from "../cpu/cpu.js";
import { FpuOff, fpuRegOff } from "../cpu/fpu-state.js";
import { SegIndex, StateOff, gprOff, xmmOff } from "../cpu/state-layout.js";

export interface GdbRegister {
  name: string;
  bytes: number;
  type: string;
  /** The feature (XML document section) it belongs to. */
  feature: "core" | "sse" | "segments";
  read(cpu: Cpu): Uint8Array;
  /** false: the value cannot be written. */
  write(cpu: Cpu, v: Uint8Array): boolean;
}

const TWO32 = 4294967296;
const le32 = (v: number): Uint8Array => new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
const get32 = (b: Uint8Array, at = 0): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
/** The CPU state as bytes (a fresh view: the Wasm memory buffer may have been replaced by a grow). */
const u8 = (cpu: Cpu): Uint8Array => new Uint8Array(cpu.state.dv.buffer, cpu.state.dv.byteOffset, cpu.state.dv.byteLength);
const stateBytes = (cpu: Cpu, off: number, n: number): Uint8Array => u8(cpu).slice(off, off + n);
const setStateBytes = (cpu: Cpu, off: number, v: Uint8Array): void => { u8(cpu).set(v, off); };

function q64(name: string, off: number, type = "int64"): GdbRegister {
  return {
    name, bytes: 8, type, feature: "core",
    read: (cpu) => stateBytes(cpu, off, 8),
    write: (cpu, v) => { setStateBytes(cpu, off, v); return true; },
  };
}

/** GPR numbers in gdb's amd64 order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15. */
const GDB_GPRS: [string, number][] = [
  ["rax", 0], ["rbx", 3], ["rcx", 1], ["rdx", 2], ["rsi", 6], ["rdi", 7], ["rbp", 5], ["rsp", 4],
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((n): [string, number] => [`r${n}`, n]),
];
const SEGS: [string, SegIndex][] = [["cs", SegIndex.CS], ["ss", SegIndex.SS], ["ds", SegIndex.DS], ["es", SegIndex.ES], ["fs", SegIndex.FS], ["gs", SegIndex.GS]];

function segSelector(name: string, i: SegIndex): GdbRegister {
  return {
    name, bytes: 4, type: "int32", feature: "core",
    read: (cpu) => le32(cpu.state.seg(i).selector),
    write: (cpu, v) => get32(v) === cpu.state.seg(i).selector,
  };
}

function segBase(name: string, i: SegIndex): GdbRegister {
  return {
    name, bytes: 8, type: "int64", feature: "segments",
    read: (cpu) => {
      const b = cpu.state.seg(i).base, hi = Math.floor(b / TWO32);
      return new Uint8Array([...le32(b - hi * TWO32), ...le32(hi)]);
    },
    write: (cpu, v) => {
      const s = cpu.state.seg(i);
      const hi = get32(v, 4) | 0;
      s.base = hi * TWO32 + get32(v);
      if (!Number.isSafeInteger(s.base)) return false;
      cpu.state.setSeg(i, s);
      cpu.modeChanged();
      return true;
    },
  };
}

/** The x87 tag word in FSAVE form (2 bits a register) from the abridged valid bits. */
function fullTagWord(cpu: Cpu): number {
  const s = cpu.state, valid = s.get32(FpuOff.TAGV), b = u8(cpu);
  let tw = 0;
  for (let phys = 0; phys < 8; phys++) {
    let tag = 3; // empty
    if (valid & (1 << phys)) {
      const off = fpuRegOff(phys);
      const exp = (b[off + 8]! | (b[off + 9]! << 8)) & 0x7fff;
      const mantZero = s.lo(off) === 0 && s.hi(off) === 0;
      const integer = (b[off + 7]! & 0x80) !== 0;
      tag = exp === 0x7fff ? 2 : exp === 0 ? (mantZero ? 1 : 2) : integer ? 0 : 2;
    }
    tw |= tag << (phys * 2);
  }
  return tw;
}

function fpuControl(name: string, read: (cpu: Cpu) => number, write: (cpu: Cpu, v: number) => void): GdbRegister {
  return { name, bytes: 4, type: "int", feature: "core", read: (cpu) => le32(read(cpu)), write: (cpu, v) => { write(cpu, get32(v)); return true; } };
}

const top = (cpu: Cpu): number => cpu.state.get32(FpuOff.TOP) & 7;

export const REGISTERS: readonly GdbRegister[] = [
  ...GDB_GPRS.map(([name, n]) => q64(name, gprOff(n), name === "rsp" || name === "rbp" ? "data_ptr" : "int64")),
  q64("rip", StateOff.RIP, "code_ptr"),
  {
    name: "eflags", bytes: 4, type: "int32", feature: "core",
    read: (cpu) => le32(cpu.eflags),
    write: (cpu, v) => { cpu.state.setEflags(get32(v)); cpu.modeChanged(); return true; },
  },
  ...SEGS.map(([name, i]) => segSelector(name, i)),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((st): GdbRegister => ({
    name: `st${st}`, bytes: 10, type: "i387_ext", feature: "core",
    read: (cpu) => stateBytes(cpu, fpuRegOff(top(cpu) + st), 10),
    write: (cpu, v) => { setStateBytes(cpu, fpuRegOff(top(cpu) + st), v); return true; },
  })),
  fpuControl("fctrl", (cpu) => cpu.state.get32(FpuOff.FCW) & 0xffff, (cpu, v) => cpu.state.set32(FpuOff.FCW, v & 0xffff)),
  fpuControl("fstat", (cpu) => (cpu.state.get32(FpuOff.FSW) & ~0x3800 & 0xffff) | (top(cpu) << 11), (cpu, v) => {
    cpu.state.set32(FpuOff.FSW, v & ~0x3800 & 0xffff);
    cpu.state.set32(FpuOff.TOP, (v >>> 11) & 7);
  }),
  fpuControl("ftag", fullTagWord, (cpu, v) => {
    let valid = 0;
    for (let phys = 0; phys < 8; phys++) if (((v >>> (phys * 2)) & 3) !== 3) valid |= 1 << phys;
    cpu.state.set32(FpuOff.TAGV, valid);
  }),
  fpuControl("fiseg", (cpu) => cpu.state.get32(FpuOff.FCS) & 0xffff, (cpu, v) => cpu.state.set32(FpuOff.FCS, v & 0xffff)),
  fpuControl("fioff", (cpu) => cpu.state.lo(FpuOff.FIP), (cpu, v) => cpu.state.set64(FpuOff.FIP, v, 0)),
  fpuControl("foseg", (cpu) => cpu.state.get32(FpuOff.FDS) & 0xffff, (cpu, v) => cpu.state.set32(FpuOff.FDS, v & 0xffff)),
  fpuControl("fooff", (cpu) => cpu.state.lo(FpuOff.FDP), (cpu, v) => cpu.state.set64(FpuOff.FDP, v, 0)),
  fpuControl("fop", (cpu) => cpu.state.get32(FpuOff.FOP) & 0x7ff, (cpu, v) => cpu.state.set32(FpuOff.FOP, v & 0x7ff)),
  ...Array.from({ length: 16 }, (_, n): GdbRegister => ({
    name: `xmm${n}`, bytes: 16, type: "vec128", feature: "sse",
    read: (cpu) => stateBytes(cpu, xmmOff(n), 16),
    write: (cpu, v) => { setStateBytes(cpu, xmmOff(n), v); return true; },
  })),
  {
    name: "mxcsr", bytes: 4, type: "int", feature: "sse",
    read: (cpu) => le32(cpu.state.get32(StateOff.MXCSR)),
    write: (cpu, v) => { cpu.state.set32(StateOff.MXCSR, get32(v) & 0xffff); return true; },
  },
  segBase("fs_base", SegIndex.FS),
  segBase("gs_base", SegIndex.GS),
];

const FEATURES: [GdbRegister["feature"], string, string][] = [
  ["core", "org.gnu.gdb.i386.core", ""],
  ["sse", "org.gnu.gdb.i386.sse",
    '<vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/>' +
    '<vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/>' +
    '<vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/>' +
    '<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>' +
    '<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>' +
    '<field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union>'],
  ["segments", "org.gnu.gdb.i386.segments", ""],
];

/** The whole target description (one document; no includes). */
export const TARGET_XML = '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">' +
  "<target><architecture>i386:x86-64</architecture>" +
  FEATURES.map(([f, name, types]) => `<feature name="${name}">${types}` +
    REGISTERS.map((r, i) => (r.feature === f ? `<reg name="${r.name}" bitsize="${r.bytes * 8}" type="${r.type}" regnum="${i}"/>` : "")).join("") +
    "</feature>").join("") +
  "</target>";
