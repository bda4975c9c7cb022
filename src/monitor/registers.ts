/**
 * The CPU side of the monitor: `info registers` in QEMU's x86 layout (the 64-bit layout when
 * EFER.LMA is set, the 32-bit one otherwise, as QEMU's x86_64 build does), and the `$name`
 * registers of monitor expressions. EFLAGS comes from Cpu.eflags, which evaluates the lazy
 * arithmetic flags. Read-only: nothing here changes guest state.
 */

import type { Cpu } from "../cpu/cpu.js";
import { SegAttr } from "../cpu/cpu-state.js";
import { Eflag } from "../cpu/flags.js";
import { FpuOff } from "../cpu/fpu-state.js";
import { HFlag, RunWord, SegIndex, StateOff, gprOff } from "../cpu/state-layout.js";
import * as U from "./u64.js";
import type { U64 } from "./u64.js";

const hex = (v: number, digits: number): string => (v >>> 0).toString(16).padStart(digits, "0");
const q = (cpu: Cpu, off: number): U64 => U.u64(cpu.state.hi(off), cpu.state.lo(off));

/** GPR numbers in QEMU's display order (RAX RBX RCX RDX RSI RDI RBP RSP, then R8..R15). */
const DISPLAY_ORDER = [0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];
const NAMES64 = ["RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"];
const SEG_LINES: [string, SegIndex][] = [
  ["ES", SegIndex.ES], ["CS", SegIndex.CS], ["SS", SegIndex.SS], ["DS", SegIndex.DS], ["FS", SegIndex.FS],
  ["GS", SegIndex.GS], ["LDT", SegIndex.LDTR], ["TR", SegIndex.TR],
];
const SYS_TYPES_32 = ["Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate", "IntGate16", "TrapGate16",
  "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32", "Reserved", "IntGate32", "TrapGate32"];
const SYS_TYPES_64 = ["<hiword>", "Reserved", "LDT", "Reserved", "Reserved", "Reserved", "Reserved", "Reserved",
  "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64", "Reserved", "IntGate64", "TrapGate64"];

/** The seven arithmetic/direction flags as QEMU prints them: [DOSZAPC], '-' when clear. */
export function flagLetters(eflags: number): string {
  const f: [number, string][] = [[Eflag.DF, "D"], [Eflag.OF, "O"], [Eflag.SF, "S"], [Eflag.ZF, "Z"], [Eflag.AF, "A"], [Eflag.PF, "P"], [Eflag.CF, "C"]];
  return `[${f.map(([bit, c]) => (eflags & bit ? c : "-")).join("")}]`;
}

/** One segment line: selector, base, limit, flags (descriptor high dword bits 8..23), then the decoded kind. */
function segLine(cpu: Cpu, name: string, i: SegIndex, long: boolean): string {
  const s = cpu.state;
  const c = s.seg(i);
  const h = s.hflags;
  // QEMU prints the descriptor's high dword bits 8..23, which include limit bits 19:16.
  const rawLimit = c.attr & SegAttr.G ? c.limit >>> 12 : c.limit;
  const flags = ((c.attr << 8) & 0x00f0ff00) | (((rawLimit >>> 16) & 0xf) << 16);
  const base = long ? U.hexPad(U.fromNumber(c.base), 8) : hex(c.base, 8);
  let line = `${name.padEnd(3)}=${hex(c.selector, 4)} ${base} ${hex(c.limit, 8)} ${hex(flags, 8)}`;
  if (!(h & HFlag.PE) || !(c.attr & SegAttr.P)) return line;
  line += ` DPL=${(c.attr & SegAttr.DPL_MASK) >> SegAttr.DPL_SHIFT} `;
  const type = c.attr & SegAttr.TYPE_MASK;
  if (c.attr & SegAttr.S) {
    if (type & SegAttr.CODE) {
      line += c.attr & SegAttr.L ? "CS64" : c.attr & SegAttr.DB ? "CS32" : "CS16";
      line += ` [${type & 4 ? "C" : "-"}${type & 2 ? "R" : "-"}`;
    } else {
      line += c.attr & SegAttr.DB || h & HFlag.LMA ? "DS  " : "DS16";
      line += ` [${type & 4 ? "E" : "-"}${type & 2 ? "W" : "-"}`;
    }
    line += `${type & 1 ? "A" : "-"}]`;
  } else {
    line += (h & HFlag.LMA ? SYS_TYPES_64 : SYS_TYPES_32)[type];
  }
  return line;
}

/** `info registers` for the CPU, QEMU's layout. */
export function formatRegisters(cpu: Cpu): string {
  const s = cpu.state;
  const long = (s.efer & (1 << 10)) !== 0;
  const lines: string[] = [];
  const rfl = cpu.eflags >>> 0;
  const tail = `${flagLetters(rfl)} CPL=${s.cpl} II=${s.run(RunWord.INHIBIT_IRQ) ? 1 : 0} A20=1 SMM=0 HLT=${s.run(RunWord.HALTED) ? 1 : 0}`;
  const w = long ? 8 : 4;
  const val = (off: number): string => U.hexPad(q(cpu, off), w);
  const regs = long ? DISPLAY_ORDER : DISPLAY_ORDER.slice(0, 8);
  for (let row = 0; row < regs.length; row += 4) {
    lines.push(regs.slice(row, row + 4).map((r) => {
      const name = long ? NAMES64[r]! : `E${NAMES64[r]!.slice(1)}`;
      return `${name.padEnd(3)}=${val(gprOff(r))}`;
    }).join(" "));
  }
  lines.push(`${long ? "RIP" : "EIP"}=${val(StateOff.RIP)} ${long ? "RFL" : "EFL"}=${hex(rfl, 8)} ${tail}`);
  for (const [name, i] of SEG_LINES) lines.push(segLine(cpu, name, i, long));
  for (const [name, off] of [["GDT", StateOff.GDTR], ["IDT", StateOff.IDTR]] as const)
    lines.push(`${name}=     ${val(off)} ${hex(s.get32(off + 8), 8)}`);
  lines.push(`CR0=${hex(s.cr0, 8)} CR2=${val(StateOff.CR2)} CR3=${val(StateOff.CR3)} CR4=${hex(s.cr4, 8)}`);
  const dr = (n: number): string => val(StateOff.DR + n * 8);
  lines.push(`${[0, 1, 2, 3].map((n) => `DR${n}=${dr(n)}`).join(" ")} `);
  lines.push(`DR6=${dr(6)} DR7=${dr(7)}`);
  lines.push(`EFER=${U.hexPad(q(cpu, StateOff.EFER), 8)}`);
  const fsw = (s.get32(FpuOff.FSW) & ~0x3800) | ((s.get32(FpuOff.TOP) & 7) << 11);
  lines.push(`FCW=${hex(s.get32(FpuOff.FCW), 4)} FSW=${hex(fsw, 4)} [ST=${s.get32(FpuOff.TOP) & 7}] FTW=${hex(s.get32(FpuOff.TAGV) & 0xff, 2)} MXCSR=${hex(s.get32(StateOff.MXCSR), 8)}`);
  return lines.join("\n") + "\n";
}

/** The linear address of the next instruction (CS base + RIP outside 64-bit code). */
export function currentPc(cpu: Cpu): U64 {
  const s = cpu.state;
  const rip = q(cpu, StateOff.RIP);
  if (s.hflags & HFlag.CS64) return rip;
  return U.truncate(U.add(rip, U.fromNumber(s.seg(SegIndex.CS).base)), 4);
}

const GPR_INDEX: Record<string, number> = Object.fromEntries(NAMES64.map((n, i) => [n.toLowerCase(), i]));
const GPR32_INDEX: Record<string, number> = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 };
const SEG_INDEX: Record<string, SegIndex> = { es: SegIndex.ES, cs: SegIndex.CS, ss: SegIndex.SS, ds: SegIndex.DS, fs: SegIndex.FS, gs: SegIndex.GS };
const CR_OFF: Record<string, number> = { cr0: StateOff.CR0, cr2: StateOff.CR2, cr3: StateOff.CR3, cr4: StateOff.CR4, cr8: StateOff.CR8, efer: StateOff.EFER };

/**
 * `$name` in expressions: rax..r15, eax..edi (low 32 bits), rip/eip, pc (linear address of
 * the next instruction), sp/fp, eflags/rflags, cr0..cr4/cr8/efer, and es..gs (selectors).
 */
export function registerValue(cpu: Cpu, name: string): U64 | undefined {
  const gpr = GPR_INDEX[name];
  if (gpr !== undefined) return q(cpu, gprOff(gpr));
  const g32 = GPR32_INDEX[name];
  if (g32 !== undefined) return U.truncate(q(cpu, gprOff(g32)), 4);
  switch (name) {
    case "rip": return q(cpu, StateOff.RIP);
    case "eip": return U.truncate(q(cpu, StateOff.RIP), 4);
    case "pc": return currentPc(cpu);
    case "sp": return q(cpu, gprOff(4));
    case "fp": return q(cpu, gprOff(5));
    case "eflags": case "rflags": return U.u64(0, cpu.eflags);
  }
  const cr = CR_OFF[name];
  if (cr !== undefined) return q(cpu, cr);
  const seg = SEG_INDEX[name];
  if (seg !== undefined) return U.u64(0, cpu.state.seg(seg).selector);
  return undefined;
}
