/**
 * The x86 instruction decoder: bytes → DecodedInsn (insn.ts), driven by the compiled opcode
 * table (table.ts, compile.ts). Implements the instruction format of the Intel SDM vol. 2
 * chapter 2: legacy prefixes (2.1.1), REX (2.2.1), ModRM/SIB/displacement with 16-bit
 * (Table 2-1) and 32/64-bit (Tables 2-2, 2-3) addressing, RIP-relative addressing (2.2.1.6),
 * immediates, and the 15-byte limit (2.3.11). Operand-size rules: SDM vol. 1 3.6 and vol. 2
 * Appendix A (d64/f64). VEX/EVEX (2.3, 2.7) are recognised and reported as #UD.
 *
 * A Decoder instance keeps its per-instruction work variables in fields, so decoding allocates
 * only the result (the DecodedInsn and its operands).
 */

import { compileTable, EF, immLayout, SEL, type Entry, type Node } from "./compile.js";
import { decodeOperands, type OperandState } from "./operands.js";
import { Prefix, Seg, type CodeMode, type CodeReader, type DecodeResult, type DecodedInsn } from "./insn.js";
import type { Mnemonic } from "./mnemonics.js";

const TABLE = compileTable();
if (TABLE.conflicts.length > 0) throw new Error(`decode table conflicts: ${TABLE.conflicts.join("; ")}`);
const ROOTS = TABLE.roots;
const HAS_MODRM = TABLE.hasModrm;

function findEntry(map: number, op: number, mnemonic: Mnemonic): Entry {
  const n = ROOTS[map * 256 + op];
  if (!n || n.k !== 0 || n.mnemonic !== mnemonic) throw new Error(`decode table: ${mnemonic} expected at ${op.toString(16)}`);
  return n;
}
/** 90 with REX.B is XCHG r8, rAX (SDM "NOP": "90 is XCHG rAX,rAX only without REX.B"). */
const XCHG_R8 = findEntry(0, 0x91, "XCHG");
/** F3 90 (SDM PAUSE). */
const PAUSE: Entry = { k: 0, mnemonic: "PAUSE", flags: 0, ops: [], byteOp: false, regForm: false, ...immLayout([]) };

/** Thrown internally when a fetch faults or the 15-byte limit is hit; never escapes decode(). */
class Stop {
  constructor(readonly result: DecodeResult) {}
}

const MAX_LEN = 15;

/** Legacy prefix bytes (SDM 2.1.1). */
const IS_PREFIX = new Uint8Array(256);
for (const b of [0xf0, 0xf2, 0xf3, 0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]) IS_PREFIX[b] = 1;

/** Decodes one instruction at a time; reusable, not reentrant. */
export class Decoder implements OperandState {
  reader: CodeReader = { readByte: () => -1 };
  pc = 0;
  len = 0;
  mode: CodeMode = 64;
  rex = 0;
  prefixes = 0;
  segOverride = -1;
  opSize: 2 | 4 | 8 = 4;
  addrSize: 2 | 4 | 8 = 8;
  modrm = -1;
  opcode = 0;
  private _mode64 = true;

  /** Fetch the next instruction byte. */
  fetch(): number {
    if (this.len >= MAX_LEN) throw new Stop({ fault: "GP", pc: this.pc, reason: "instruction longer than 15 bytes" });
    const addr = this._mode64 ? this.pc + this.len : (this.pc + this.len) >>> 0;
    const b = this.reader.readByte(addr);
    if (b === -2) throw new Stop({ fault: "GP", pc: this.pc, reason: "fetch beyond the CS limit" });
    if (b < 0) throw new Stop({ fault: "PF", pc: this.pc, addr });
    this.len++;
    return b;
  }

  /** Little-endian fetch of 2 or 4 bytes, signed. */
  fetchS(size: number): number {
    if (size === 1) return (this.fetch() << 24) >> 24;
    if (size === 2) {
      const v = this.fetch() | (this.fetch() << 8);
      return (v << 16) >> 16;
    }
    return this.fetch() | (this.fetch() << 8) | (this.fetch() << 16) | (this.fetch() << 24);
  }

  ud(reason: string): DecodeResult {
    return { fault: "UD", pc: this.pc, len: this.len, reason };
  }

  decode(reader: CodeReader, pc: number, mode: CodeMode, csBase = 0): DecodeResult {
    this.reader = reader;
    this.pc = pc;
    this.len = 0;
    this.mode = mode;
    this._mode64 = mode === 64;
    try {
      return this._decode(csBase);
    } catch (e) {
      if (e instanceof Stop) return e.result;
      throw e;
    }
  }

  /** Legacy prefixes and REX; returns the first opcode byte. */
  private _prefixes(): number {
    let prefixes = 0, rex = 0, seg = -1, lastRep = 0;
    const m64 = this._mode64;
    let b = this.fetch();
    for (;;) {
      if (IS_PREFIX[b] === 1) {
        switch (b) {
          case 0xf0: prefixes |= Prefix.LOCK; break;
          case 0xf2: lastRep = Prefix.REPNE; break;
          case 0xf3: lastRep = Prefix.REP; break;
          case 0x66: prefixes |= Prefix.OPSIZE; break;
          case 0x67: prefixes |= Prefix.ADDRSIZE; break;
          case 0x26: seg = Seg.ES; break;
          case 0x2e: seg = Seg.CS; break;
          case 0x36: seg = Seg.SS; break;
          case 0x3e: seg = Seg.DS; break;
          case 0x64: seg = Seg.FS; break;
          default: seg = Seg.GS; break;
        }
        rex = 0; // REX only counts immediately before the opcode
      } else if (m64 && (b & 0xf0) === 0x40) {
        rex = b;
      } else {
        break;
      }
      b = this.fetch();
    }
    this.rex = rex;
    if (rex) prefixes |= Prefix.REX | (rex & 8 ? Prefix.REX_W : 0);
    // ES/CS/SS/DS overrides are ignored in 64-bit mode (SDM 3.3.7.1).
    if (m64 && seg >= 0 && seg < Seg.FS) seg = -1;
    if (seg >= 0) prefixes |= Prefix.SEG_OVERRIDE;
    this.segOverride = seg;
    this.prefixes = prefixes | lastRep;
    return b;
  }

  private _decode(csBase: number): DecodeResult {
    let b = this._prefixes();
    const prefixes = this.prefixes;
    let map = 0;
    if (b === 0x0f) {
      map = 1;
      b = this.fetch();
      if (b === 0x38) { map = 2; b = this.fetch(); } else if (b === 0x3a) { map = 3; b = this.fetch(); }
    } else if (b === 0xc4 || b === 0xc5 || b === 0x62) {
      // VEX/EVEX in 64-bit mode; elsewhere only when the next byte would be a mod=11 ModRM.
      if (this._mode64) return this.ud("VEX not implemented");
      const save = this.len;
      if ((this.fetch() & 0xc0) === 0xc0) return this.ud("VEX not implemented");
      this.len = save;
    }
    const slot = map * 256 + b;
    const modrm = HAS_MODRM[slot] ? this.fetch() : -1;
    this.modrm = modrm;
    this.opcode = b;
    const entry = this._lookup(ROOTS[slot] ?? null, modrm, prefixes, map, b);
    if (!entry) return this.ud("undefined opcode");
    return this._finish(entry, map, b, csBase);
  }

  private _lookup(root: Node, modrm: number, prefixes: number, map: number, op: number): Entry | null {
    let n = root;
    while (n && n.k !== 0) {
      let i: number;
      switch (n.k) {
        case SEL.MODE: i = this._mode64 ? 1 : 0; break;
        case SEL.MOD: i = modrm >= 0xc0 ? 1 : 0; break;
        case SEL.REG: i = (modrm >> 3) & 7; break;
        case SEL.RM: i = modrm & 7; break;
        default:
          i = prefixes & Prefix.REPNE ? 3 : prefixes & Prefix.REP ? 2 : prefixes & Prefix.OPSIZE ? 1 : 0;
      }
      n = n.sub[i] ?? null;
    }
    if (n && map === 0 && op === 0x90) {
      if (this.rex & 1) return XCHG_R8;
      if (prefixes & Prefix.REP) return PAUSE;
    }
    return n;
  }

  private _finish(entry: Entry, map: number, opcode: number, csBase: number): DecodeResult {
    const prefixes = this.prefixes;
    const flags = entry.flags;
    const m64 = this._mode64;
    const o16 = (prefixes & Prefix.OPSIZE) !== 0;
    let opSize: 2 | 4 | 8;
    if (m64) {
      opSize = flags & EF.F64 || this.rex & 8 ? 8 : o16 ? 2 : flags & EF.D64 ? 8 : 4;
    } else {
      opSize = (this.mode === 16) !== o16 ? 2 : 4;
    }
    this.opSize = opSize;
    const a67 = (prefixes & Prefix.ADDRSIZE) !== 0;
    this.addrSize = m64 ? (a67 ? 4 : 8) : (this.mode === 16) !== a67 ? 2 : 4;
    const operands = decodeOperands(this, entry, csBase);
    if (typeof operands === "string") return this.ud(operands);
    const first = operands[0];
    // MOV to CS is #UD (SDM MOV: "If an attempt is made to load the CS register").
    if (entry.mnemonic === "MOV_SREG" && first?.kind === "sreg" && first.reg === Seg.CS) return this.ud("MOV to CS");
    if (prefixes & Prefix.LOCK) {
      if (!(flags & EF.LOCK) || !first || first.kind !== "mem") return this.ud("LOCK prefix not allowed");
    }
    const insn: DecodedInsn = {
      pc: this.pc,
      len: this.len,
      mnemonic: entry.mnemonic,
      map: map as 0 | 1 | 2 | 3,
      opcode,
      modrm: this.modrm,
      opSize: entry.byteOp ? 1 : opSize,
      addrSize: this.addrSize,
      prefixes,
      seg: this.segOverride >= 0 ? this.segOverride : Seg.DS,
      operands,
      endsBlock: (flags & EF.END) !== 0,
      privileged: (flags & EF.PRIV) !== 0,
    };
    return insn;
  }
}

const shared = new Decoder();

/**
 * Decode the instruction at linear address `pc` in code mode `mode`. `csBase` (default 0)
 * is subtracted to form the IP/EIP that relative branch targets are computed from (16/32-bit
 * code with a non-zero CS base). Never throws for guest bytes.
 */
export function decode(reader: CodeReader, pc: number, mode: CodeMode, csBase = 0): DecodeResult {
  return shared.decode(reader, pc, mode, csBase);
}

export function isFault(r: DecodeResult): r is Extract<DecodeResult, { fault: string }> {
  return "fault" in r;
}
