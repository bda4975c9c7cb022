/**
 * DecodedInsn: the contract between the decoder (src/cpu/decode) and the instruction
 * semantics (src/cpu/semantics), which turn it into IR. The decoder resolves every
 * operand-size and address-size question, so semantics never look at prefixes or ModRM
 * bits to find their operands; they read `operands`.
 *
 * Guest virtual addresses are JS numbers holding the canonical (sign-extended) value:
 * 0xffffffff81000000 is -0x7f000000. Canonical 48- and 57-bit addresses are exact in a
 * double, so no BigInt is needed; 64-bit immediates travel as (lo, hi) 32-bit halves.
 */

import type { Mnemonic } from "./mnemonics.js";

/** The CPU's code mode for decoding: 16/32-bit code segments, or 64-bit (long mode, CS.L=1). */
export type CodeMode = 16 | 32 | 64;

/**
 * Operand sizes in bytes. 0: a memory operand whose size is not one access (LEA, LGDT/SGDT,
 * FXSAVE/XSAVE areas, x87 environments, INVLPG); the semantics know the layout. 6: a far
 * pointer m16:32 (Mp: offset then selector, so 4, 6 or 10 bytes); 10: m80 or m16:64.
 */
export type OpSize = 0 | 1 | 2 | 4 | 6 | 8 | 10 | 16;

/** Segment register numbers as encoded in ModRM.reg for MOV Sreg (SDM vol 2 3.1.1.3). */
export const enum Seg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/** Prefix bits in DecodedInsn.prefixes. */
export const enum Prefix {
  LOCK = 1 << 0,
  REP = 1 << 1, // F3 (REP / REPE / REPZ), also a mandatory-prefix selector
  REPNE = 1 << 2, // F2
  OPSIZE = 1 << 3, // 66
  ADDRSIZE = 1 << 4, // 67
  REX = 1 << 5,
  REX_W = 1 << 6,
  VEX = 1 << 7,
  EVEX = 1 << 8,
  SEG_OVERRIDE = 1 << 9,
}

/** General-purpose register number 0..15 (RAX..R15). */
export type GprNum = number;

/**
 * An operand, fully resolved by the decoder. Treat operands as immutable: the decoder shares
 * (interns, frozen) register-like operand objects between instructions.
 */
export type Operand =
  /** A GPR of the given width. `high8`: AH/CH/DH/BH (bits 8..15 of reg 0..3; only without REX). */
  | { kind: "reg"; reg: GprNum; size: 1 | 2 | 4 | 8; high8: boolean }
  /**
   * A memory operand. base/index: GPR numbers, -1 for none; base = RIP_BASE for RIP-relative
   * (then `disp` is already the absolute target, pc+len+disp32, canonical). `seg` is the effective
   * segment (override, or SS for RBP/RSP-based addressing, else DS). `addrSize` is the address
   * width the effective address is truncated to.
   */
  | { kind: "mem"; size: OpSize; seg: Seg; base: number; index: number; scale: 1 | 2 | 4 | 8; disp: number; addrSize: 2 | 4 | 8 }
  /**
   * An immediate, sign- or zero-extended by the decoder per the SDM to `size` bytes; lo = bits
   * 0..31, hi = bits 32..63, both unsigned. String ops' X/Y operands and moffs are "mem" operands.
   */
  | { kind: "imm"; size: 1 | 2 | 4 | 8; lo: number; hi: number }
  /**
   * A relative branch target already resolved to the new instruction pointer: RIP/EIP/IP, i.e.
   * the offset in CS (equal to the linear address when the CS base is 0, always in 64-bit
   * mode), truncated to the operand size (a 16-bit Jcc wraps within 64 KiB). Canonical.
   */
  | { kind: "rel"; target: number }
  /** A far pointer (ptr16:16/32 immediate): selector and offset. */
  | { kind: "far"; selector: number; offset: number }
  | { kind: "sreg"; reg: Seg }
  | { kind: "creg"; reg: number }
  | { kind: "dreg"; reg: number }
  /** An XMM register; `size` is the part the instruction uses (4 for ss, 8 for sd/q, 16 for x/ps/pd). */
  | { kind: "xmm"; reg: number; size: OpSize }
  | { kind: "mmx"; reg: number }
  | { kind: "st"; reg: number };

/** base value for RIP-relative memory operands. */
export const RIP_BASE = 16;

export interface DecodedInsn {
  /** Canonical virtual address of the first byte. */
  pc: number;
  /** Length in bytes (1..15). */
  len: number;
  mnemonic: Mnemonic;
  /** Opcode map: 0 one-byte, 1 = 0F, 2 = 0F38, 3 = 0F3A. */
  map: 0 | 1 | 2 | 3;
  /** The opcode byte within its map. */
  opcode: number;
  /** ModRM byte, or -1 when the instruction has none. */
  modrm: number;
  /** Effective operand size in bytes for the instruction (2, 4 or 8; 1 for byte forms). */
  opSize: 1 | 2 | 4 | 8;
  /** Effective address size in bytes. */
  addrSize: 2 | 4 | 8;
  /** Prefix bits (Prefix.*). */
  prefixes: number;
  /** Segment for string instructions' source (DS or override) and for memory operands. */
  seg: Seg;
  operands: Operand[];
  /** The translator should end the block after this instruction (control transfer, or a mode/state change). */
  endsBlock?: boolean;
  /** CPL 0 only (#GP(0) otherwise): MOV CR/DR, LGDT, HLT, WRMSR, ... (the table's "priv" rows). */
  privileged?: boolean;
}

/** Why decoding did not produce an instruction; the CPU turns these into guest exceptions. */
export type DecodeFault =
  | { fault: "UD"; pc: number; len: number; reason: string } // undefined or unimplemented encoding, bad LOCK
  | { fault: "GP"; pc: number; reason: string } // longer than 15 bytes, or beyond the CS limit
  | { fault: "PF"; pc: number; addr: number }; // instruction fetch crossed into an unmapped page

export type DecodeResult = DecodedInsn | DecodeFault;

/**
 * Reads code bytes at virtual addresses; returns -1 when the byte cannot be fetched (page
 * fault), -2 when it lies beyond the CS limit (#GP).
 */
export interface CodeReader {
  readByte(gva: number): number;
}
