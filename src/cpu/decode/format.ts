/**
 * Disassembly printer: a DecodedInsn in Intel syntax, close to `objdump -M intel` (SDM vol. 2
 * mnemonics; objdump's spellings for the size- and condition-dependent ones). Used by tests,
 * the monitor and the `-d in_asm` trace. Not on any hot path.
 */

import { Prefix, RIP_BASE, type DecodedInsn, type Operand } from "./insn.js";

const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
const FCMOV = ["fcmovb", "fcmove", "fcmovbe", "fcmovu", "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu"];
const R64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"];
const R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const R8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];
const R8H = ["ah", "ch", "dh", "bh"];
const SEGS = ["es", "cs", "ss", "ds", "fs", "gs"];
const PTR: Record<number, string> = { 1: "BYTE", 2: "WORD", 4: "DWORD", 6: "FWORD", 8: "QWORD", 10: "TBYTE", 16: "XMMWORD" };

export function regName(reg: number, size: number, high8 = false): string {
  if (high8) return R8H[reg] ?? "?";
  if (reg >= 8) return `r${reg}${size === 8 ? "" : size === 4 ? "d" : size === 2 ? "w" : "b"}`;
  const names = size === 8 ? R64 : size === 4 ? R32 : size === 2 ? R16 : R8;
  return names[reg] ?? "?";
}

/** Hex of a canonical address or other integer value held in a double (negative → 64-bit two's complement). */
export function hex64(v: number): string {
  if (v >= 0) return `0x${v.toString(16)}`;
  const hi = Math.floor(v / 0x100000000) >>> 0, lo = (v - Math.floor(v / 0x100000000) * 0x100000000) >>> 0;
  return `0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}`;
}

function immText(lo: number, hi: number): string {
  return hi ? `0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}` : `0x${lo.toString(16)}`;
}

const STRING_OPS = new Set(["MOVS", "CMPS", "STOS", "LODS", "SCAS", "INS", "OUTS"]);

/** The mnemonic as objdump spells it, lower case (condition codes, size variants resolved). */
export function displayMnemonic(insn: DecodedInsn): string {
  const m = insn.mnemonic;
  const sz = insn.opSize;
  const w = (insn.prefixes & Prefix.REX_W) !== 0;
  switch (m) {
    case "JCC": return `j${CC[insn.opcode & 15]}`;
    case "SETCC": return `set${CC[insn.opcode & 15]}`;
    case "CMOVCC": return `cmov${CC[insn.opcode & 15]}`;
    case "FCMOVCC": return FCMOV[(insn.opcode === 0xdb ? 4 : 0) + ((insn.modrm >> 3) & 3)] ?? "?";
    case "CBW": return sz === 2 ? "cbw" : sz === 4 ? "cwde" : "cdqe";
    case "CWD": return sz === 2 ? "cwd" : sz === 4 ? "cdq" : "cqo";
    case "JCXZ": return insn.addrSize === 2 ? "jcxz" : insn.addrSize === 4 ? "jecxz" : "jrcxz";
    case "MOV_SREG": case "MOV_CR": case "MOV_DR": return "mov";
    case "CALLF": return "call";
    case "JMPF": return "jmp";
    case "CMPXCHG8B": return w ? "cmpxchg16b" : "cmpxchg8b";
    case "MOVD": return w ? "movq" : "movd";
    case "PEXTRD": return w ? "pextrq" : "pextrd";
    case "PINSRD": return w ? "pinsrq" : "pinsrd";
    case "MOV": return insn.map === 0 && ((insn.opcode >= 0xb8 && insn.opcode <= 0xbf && sz === 8) || (insn.opcode >= 0xa0 && insn.opcode <= 0xa3 && insn.addrSize === 8)) ? "movabs" : "mov";
    case "PREFETCH": return insn.opcode === 0x0d ? (["prefetch", "prefetchw", "prefetchwt1"][(insn.modrm >> 3) & 7] ?? "prefetch") : (["prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2"][(insn.modrm >> 3) & 7] ?? "prefetch");
    case "IRET": return sz === 8 ? "iretq" : "iret";
    default: return m.toLowerCase();
  }
}

function memText(insn: DecodedInsn, op: Extract<Operand, { kind: "mem" }>, withSize: boolean): string {
  const parts: string[] = [];
  const as = op.addrSize;
  let disp = op.disp;
  if (op.base === RIP_BASE) {
    parts.push(as === 8 ? "rip" : "eip");
    disp = op.disp - (insn.pc + insn.len);
    if (as === 4) disp = disp | 0;
  } else if (op.base >= 0) {
    parts.push(regName(op.base, as));
  }
  if (op.index >= 0) parts.push(as === 2 ? regName(op.index, 2) : `${regName(op.index, as)}*${op.scale}`);
  const moffs = insn.modrm < 0 && op.base < 0;
  const size = withSize && PTR[op.size] && !moffs ? `${PTR[op.size]} PTR ` : ""; // moffs: no size, as objdump
  // Absolute addresses (moffs, disp32 without base/index) print as seg:addr, like objdump.
  if (parts.length === 0) return `${size}${SEGS[op.seg]}:${hex64(as === 8 ? disp : as === 4 ? disp >>> 0 : disp & 0xffff)}`;
  let inner = parts.join("+");
  // objdump shows an encoded zero displacement (mod 01/10, or SIB without base) as +0x0.
  const mod = insn.modrm >> 6;
  const explicit = op.base !== RIP_BASE && !STRING_OPS.has(insn.mnemonic) && (mod === 1 || mod === 2 || op.base < 0);
  if (disp !== 0 || explicit) inner += disp < 0 ? `-0x${(-disp).toString(16)}` : `+0x${disp.toString(16)}`;
  const segText = insn.prefixes & Prefix.SEG_OVERRIDE || STRING_OPS.has(insn.mnemonic) ? `${SEGS[op.seg]}:` : "";
  return `${size}${segText}[${inner}]`;
}

export function formatOperand(insn: DecodedInsn, op: Operand): string {
  switch (op.kind) {
    case "reg": return regName(op.reg, op.size, op.high8);
    case "mem": return memText(insn, op, insn.mnemonic !== "LEA");
    case "imm": return insn.opcode >= 0xd0 && insn.opcode <= 0xd1 && insn.map === 0 ? "1" : immText(op.lo, op.hi);
    case "rel": return hex64(op.target);
    case "far": return `0x${op.selector.toString(16)}:0x${op.offset.toString(16)}`;
    case "sreg": return SEGS[op.reg] ?? "?";
    case "creg": return `cr${op.reg}`;
    case "dreg": return `dr${op.reg}`;
    case "xmm": return `xmm${op.reg}`;
    case "mmx": return `mm${op.reg}`;
    case "st": return op.reg === 0 ? "st" : `st(${op.reg})`;
  }
}

/** One line of Intel-syntax disassembly, e.g. "lock add DWORD PTR [rax],eax". */
export function formatInsn(insn: DecodedInsn): string {
  const pre: string[] = [];
  if (insn.prefixes & Prefix.LOCK) pre.push("lock");
  if (STRING_OPS.has(insn.mnemonic)) {
    const cmp = insn.mnemonic === "CMPS" || insn.mnemonic === "SCAS";
    if (insn.prefixes & Prefix.REP) pre.push(cmp ? "repz" : "rep");
    else if (insn.prefixes & Prefix.REPNE) pre.push("repnz");
  }
  const m = [...pre, displayMnemonic(insn)].join(" ");
  const ops = insn.operands.map((o) => formatOperand(insn, o)).join(",");
  return ops ? `${m.padEnd(6)} ${ops}` : m;
}
