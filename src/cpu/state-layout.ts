/**
 * Architected CPU state, laid out in Wasm memory at WasmLayout.STATE_BASE so that generated
 * code, the IR interpreter and TypeScript helpers all read the same bytes. Offsets below are
 * relative to STATE_BASE; `stateAddr(off)` gives the absolute Wasm address.
 *
 *  0x000  gpr[16]        i64 each: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15
 *  0x080  rip            i64 (canonical)
 *  0x088  ccDst          i64  lazy flags (src/cpu/flags.ts): result
 *  0x090  ccSrc          i64  operand
 *  0x098  ccSrc2         i64  second operand / carry-in
 *  0x0A0  ccOp           i32  CcOp: how to derive OF SF ZF AF PF CF from ccDst/ccSrc/ccSrc2
 *  0x0A4  eflags         i32  all EFLAGS bits except the six arithmetic ones (which are lazy)
 *  0x0A8  hflags         i32  HFlag bits: the mode bits that change translated code
 *  0x0AC  cpl            i32
 *  0x0B0  segs[8]        SegmentCache (24 bytes) ES CS SS DS FS GS LDTR TR
 *  0x170  gdtr, idtr     base i64 + limit i32 + pad (16 bytes each)
 *  0x190  cr0 cr2 cr3 cr4 cr8  i64 each
 *  0x1B8  efer           i64
 *  0x1C0  dr[8]          i64 each
 *  0x200  msr slots      i64 each (MsrSlot)
 *  0x280  run-loop words i32 each (RunWord)
 *  0x300  xmm[16]        16 bytes each
 *  0x400  mxcsr          i32
 *  0x410  x87            fpr[8] as 16-byte slots (80-bit images), then control/status/TOP/tag
 *                        words, pointers and two 16-byte scratch slots (fpu-state.ts FpuOff)
 *  0x4E0  free up to 0x590
 *  0x590  segBounds[6]   per data-access segment (ES..GS): read lo/hi, write lo/hi (u32 offsets;
 *                        lo > hi = no access), derived from the caches by CpuState.updateHflags
 *  0x5F8  divScratch     i64  the 64-bit divisor handed to the div128 helper (muldiv.ts)
 *  0x600  end (STATE_SIZE is 0x2000; the rest is reserved)
 */

import { WasmLayout } from "../memory/wasm-layout.js";

export const enum StateOff {
  GPR = 0x000,
  RIP = 0x080,
  CC_DST = 0x088,
  CC_SRC = 0x090,
  CC_SRC2 = 0x098,
  CC_OP = 0x0a0,
  EFLAGS = 0x0a4,
  HFLAGS = 0x0a8,
  CPL = 0x0ac,
  SEGS = 0x0b0,
  GDTR = 0x170,
  IDTR = 0x180,
  CR0 = 0x190,
  CR2 = 0x198,
  CR3 = 0x1a0,
  CR4 = 0x1a8,
  CR8 = 0x1b0,
  EFER = 0x1b8,
  DR = 0x1c0,
  MSR = 0x200,
  RUN = 0x280,
  XMM = 0x300,
  MXCSR = 0x400,
  FPU = 0x410,
  SEG_BOUNDS = 0x590,
  DIV_SCRATCH = 0x5f8,
  END = 0x600,
}

/** SegmentCache: the hidden part of a segment register (SDM vol 3 3.4.3), 24 bytes. */
export const enum SegOff {
  BASE = 0, // i64
  LIMIT = 8, // i32, byte granular (already scaled by G)
  SELECTOR = 12, // i32 (low 16 bits)
  ATTR = 16, // i32: descriptor bits 40..55 (type, S, DPL, P, AVL, L, D/B, G) shifted down by 40 (QEMU-like)
  SIZE = 24,
}

/** Segment cache indices in SEGS: the six segment registers (Seg numbering), then LDTR and TR. */
export const enum SegIndex { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7 }

export const enum MsrSlot {
  STAR = 0, LSTAR = 1, CSTAR = 2, SFMASK = 3, KERNEL_GS_BASE = 4,
  SYSENTER_CS = 5, SYSENTER_ESP = 6, SYSENTER_EIP = 7, PAT = 8, TSC_AUX = 9,
  TSC_OFFSET = 10, APIC_BASE = 11, MISC_ENABLE = 12, XCR0 = 13, COUNT = 16,
}

/** i32 words the run loop and generated code share (offset = RUN + 4 * word). */
export const enum RunWord {
  /** Remaining instruction budget; blocks subtract their length and exit when it goes negative. */
  BUDGET = 0,
  /** Non-zero when an interrupt, timer or exit request needs the run loop's attention. */
  EXIT_REQUEST = 1,
  /** Why the last block returned to the dispatcher (TbExit). */
  EXIT_REASON = 2,
  /** Pending exception: vector, error code (or -1 for none), and the fault address (CR2) lo/hi. */
  EXC_VECTOR = 3,
  EXC_ERROR = 4,
  EXC_ADDR_LO = 5,
  EXC_ADDR_HI = 6,
  HALTED = 7,
  /** Guest instructions retired (lo/hi 32-bit halves), for statistics and deterministic time. */
  ICOUNT_LO = 8,
  ICOUNT_HI = 9,
  /** Interrupt shadow after MOV SS / POP SS / STI (1 = inhibit for one instruction). */
  INHIBIT_IRQ = 10,
  /** Debug traps due after the current instruction (debug.ts DebugTrap bits). */
  DEBUG_TRAP = 11,
  /** Breakpoints armed / host single-step (debug.ts DebugArm bits, mirrored into hflags). */
  DEBUG_ARMED = 12,
  /** Non-maskable interrupt latch and blocking (Nmi bits). */
  NMI = 13,
}

/** RunWord.INHIBIT_IRQ bits: STI sets IRQ; MOV SS / POP SS set both (debug traps wait too). */
export const enum Inhibit { IRQ = 1, DEBUG = 2 }

/**
 * RunWord.NMI bits: PENDING latches one NMI (a second one while pending is lost, as on the
 * hardware); BLOCKED is set when an NMI is delivered and cleared by the next IRET (SDM vol 3
 * 6.7.1 "Handling Multiple NMIs").
 */
export const enum Nmi { PENDING = 1, BLOCKED = 2 }

/**
 * hflags: the mode bits a translation block depends on (part of the TB key). Anything that
 * changes generated code must be here, so a mode switch never runs stale code.
 */
export const enum HFlag {
  CS32 = 1 << 0, // CS.D: 32-bit default operand/address size (when not 64-bit)
  SS32 = 1 << 1, // SS.B: 32-bit stack
  CS64 = 1 << 2, // long mode and CS.L: 64-bit code
  LMA = 1 << 3, // EFER.LMA
  PE = 1 << 4, // CR0.PE
  VM86 = 1 << 5, // EFLAGS.VM
  CPL3 = 1 << 6, // CPL == 3 (selects the user TLB)
  ADDSEG = 1 << 7, // some of DS/ES/SS has a non-zero base (legacy modes): semantics must add bases
  PG = 1 << 8, // CR0.PG
  OSFXSR = 1 << 9, // CR4.OSFXSR
  EM_TS = 1 << 10, // CR0.EM or CR0.TS: FPU/SSE instructions fault (#NM/#UD)
  TF = 1 << 11, // EFLAGS.TF: one-instruction blocks that report single-step traps (debug.ts)
  DEBUG = 1 << 12, // breakpoints armed: one-instruction blocks, execute-breakpoint checks, RF
  HSTEP = 1 << 13, // the host debugger single-steps
  /**
   * SEGCHK << seg (ES..GS, Seg numbering): accesses through that segment get an inline limit and
   * type check against its SEG_BOUNDS (legacy and compatibility modes, unless the segment is a
   * flat 4 GiB read/write one). Six bits, 14..19.
   */
  SEGCHK = 1 << 14,
}

/** Offsets of one segment's access bounds in SEG_BOUNDS (i32 each, unsigned). */
export const enum SegBound { READ_LO = 0, READ_HI = 4, WRITE_LO = 8, WRITE_HI = 12, SIZE = 16 }
export const segBoundOff = (seg: number, field: SegBound): number => StateOff.SEG_BOUNDS + seg * SegBound.SIZE + field;

export const GPR_NAMES = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;

export const stateAddr = (off: number): number => WasmLayout.STATE_BASE + off;
export const gprOff = (reg: number): number => StateOff.GPR + reg * 8;
export const segOff = (seg: number, field: SegOff): number => StateOff.SEGS + seg * SegOff.SIZE + field;
export const msrOff = (slot: MsrSlot): number => StateOff.MSR + slot * 8;
export const runOff = (word: RunWord): number => StateOff.RUN + word * 4;
export const xmmOff = (reg: number): number => StateOff.XMM + reg * 16;
