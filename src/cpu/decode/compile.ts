/**
 * Compiles the opcode table (table.ts) into the decoder's lookup structures at module load:
 * a dense array of 4 x 256 slots (one-byte, 0F, 0F38, 0F3A maps, SDM vol. 2 A.3) whose
 * entries are either a leaf `Entry` or a `Split` on the CPU mode, ModRM.mod, ModRM.reg,
 * ModRM.rm or the mandatory prefix (SDM A.2.5, A.4). Operand codes become numeric specs so
 * that the hot decoder never looks at strings.
 *
 * The mandatory-prefix level is last, so prefix columns resolve per leaf: a row keyed with a
 * prefix (NP/66/F3/F2) owns that column, a row without one takes every column nobody owns
 * (an integer instruction ignores 66/F2/F3; 66 still sets its operand size), and a column
 * owned by no row is #UD.
 */

import type { Mnemonic } from "./mnemonics.js";
import { TABLE } from "./table.js";

/** Operand types (SDM A.2.1 plus the fixed forms). */
export const enum OT {
  E, G, M, R, I, J, O, S, C, D, V, W, U, P, Q, N, A, X, Y, Z,
  FIXREG, FIXSEG, ONE, ST0, STI,
}

/** Operand sizes (SDM A.2.2), resolved against the effective operand size at decode time. */
export const enum SZ { NONE, B, W, D, Q, V, Z, Y, X, T, P, A, QDQ, BS, SS, SD, PI }

/** Entry flag bits. */
export const enum EF { LOCK = 1, I64 = 2, O64 = 4, D64 = 8, F64 = 16, END = 32, PRIV = 64 }

/** One operand of an entry: register-form type/size, and memory-form type/size for ModRM operands. */
export interface OpSpec {
  readonly t: OT;
  readonly s: SZ;
  /** Memory form (OT.M) size, or -1 when the operand has no memory form (#UD if mod != 11). */
  readonly ms: number;
  /** Fixed register / segment number for FIXREG / FIXSEG. */
  readonly fixed: number;
}

export interface Entry {
  readonly k: 0;
  readonly mnemonic: Mnemonic;
  readonly flags: number;
  readonly ops: readonly OpSpec[];
  /** The instruction's operand size is 1 (byte form), not the effective v size. */
  readonly byteOp: boolean;
  /** ModRM.mod is ignored and rm always names a register (MOV CR/DR, SDM "MOV—Move to/from Control Registers"). */
  readonly regForm: boolean;
  /** Immediate/offset bytes after ModRM: immFixed + immZ * (2|4) + immV * opSize + immO * addrSize + immA * (4|6). */
  readonly immFixed: number;
  readonly immZ: number;
  readonly immV: number;
  readonly immO: number;
  readonly immA: number;
}

/** Split selectors, in tree order (the mandatory prefix last). */
export const enum SEL { MODE = 1, MOD, REG, RM, PFX }

export interface Split {
  readonly k: SEL;
  readonly sub: readonly Node[];
}

export type Node = Entry | Split | null;

/** Parsed key constraints of one row; -1 = any. */
export interface Row {
  readonly map: number;
  readonly op: number;
  readonly mode: number; // 0 legacy, 1 64-bit
  readonly pfx: number; // 0 NP, 1 66, 2 F3, 3 F2
  readonly mod: number; // 0 memory, 1 register
  readonly reg: number;
  readonly rm: number;
  readonly sse: boolean;
  readonly modrm: boolean;
  readonly entry: Entry;
  readonly text: string;
}

const FIXED_REGS: Record<string, [OT, SZ, number]> = {
  AL: [OT.FIXREG, SZ.B, 0], CL: [OT.FIXREG, SZ.B, 1], AX: [OT.FIXREG, SZ.W, 0], DX: [OT.FIXREG, SZ.W, 2],
  rAX: [OT.FIXREG, SZ.V, 0], eAX: [OT.FIXREG, SZ.Z, 0],
  ES: [OT.FIXSEG, SZ.W, 0], CS: [OT.FIXSEG, SZ.W, 1], SS: [OT.FIXSEG, SZ.W, 2],
  DS: [OT.FIXSEG, SZ.W, 3], FS: [OT.FIXSEG, SZ.W, 4], GS: [OT.FIXSEG, SZ.W, 5],
  "1": [OT.ONE, SZ.B, 0], ST0: [OT.ST0, SZ.NONE, 0], STi: [OT.STI, SZ.NONE, 0],
};

const TYPES: Record<string, OT> = {
  E: OT.E, G: OT.G, M: OT.M, R: OT.R, I: OT.I, J: OT.J, O: OT.O, S: OT.S, C: OT.C, D: OT.D,
  V: OT.V, W: OT.W, U: OT.U, P: OT.P, Q: OT.Q, N: OT.N, A: OT.A, X: OT.X, Y: OT.Y, Z: OT.Z,
};

const SIZES: Record<string, SZ> = {
  "": SZ.NONE, b: SZ.B, w: SZ.W, d: SZ.D, q: SZ.Q, v: SZ.V, z: SZ.Z, y: SZ.Y, x: SZ.X, dq: SZ.X,
  ps: SZ.X, pd: SZ.X, t: SZ.T, p: SZ.P, a: SZ.A, qdq: SZ.QDQ, bs: SZ.BS, ss: SZ.SS, sd: SZ.SD, pi: SZ.PI,
};

/** Operand types that take their register from ModRM.rm and may have a memory form. */
const RM_TYPES = new Set<OT>([OT.E, OT.M, OT.R, OT.W, OT.U, OT.Q, OT.N, OT.STI]);
const MODRM_TYPES = new Set<OT>([...RM_TYPES, OT.G, OT.S, OT.C, OT.D, OT.V, OT.P]);
const SSE_TYPES = new Set<OT>([OT.V, OT.W, OT.U, OT.P, OT.Q, OT.N]);
const VSIZES = new Set<SZ>([SZ.V, SZ.Z, SZ.Y, SZ.BS, SZ.P, SZ.A]);

function parseSimple(code: string, row: string): [OT, SZ, number] {
  const fixed = FIXED_REGS[code];
  if (fixed) return fixed;
  const t = TYPES[code.charAt(0)];
  const s = SIZES[code.slice(1)];
  if (t === undefined || s === undefined) throw new Error(`decode table: bad operand "${code}" in ${row}`);
  return [t, s, 0];
}

export function parseOperand(code: string, row: string): OpSpec {
  const [regPart, memPart] = code.split("/") as [string, string | undefined];
  const [t, s, fixed] = parseSimple(regPart, row);
  let ms = -1;
  if (memPart !== undefined) {
    const [mt, msz] = parseSimple(memPart, row);
    if (mt !== OT.M) throw new Error(`decode table: memory half of "${code}" must be M in ${row}`);
    ms = msz;
  } else if (t === OT.E || t === OT.M || t === OT.W || t === OT.Q) {
    ms = s;
  }
  return { t, s, ms, fixed };
}

const FLAG_BITS: Record<string, EF> = { lock: EF.LOCK, i64: EF.I64, o64: EF.O64, d64: EF.D64, f64: EF.F64, end: EF.END, priv: EF.PRIV };

function hex(s: string, row: string): number {
  if (!/^[0-9A-F]{2}$/.test(s)) throw new Error(`decode table: bad hex "${s}" in ${row}`);
  return parseInt(s, 16);
}

export function immLayout(ops: readonly OpSpec[]): Pick<Entry, "immFixed" | "immZ" | "immV" | "immO" | "immA"> {
  let fixed = 0, z = 0, v = 0, o = 0, a = 0;
  for (const op of ops) {
    if (op.t === OT.I || op.t === OT.J) {
      if (op.s === SZ.B || op.s === SZ.BS) fixed += 1;
      else if (op.s === SZ.W) fixed += 2;
      else if (op.s === SZ.V) v++;
      else z++;
    } else if (op.t === OT.O) o++;
    else if (op.t === OT.A) a++;
  }
  return { immFixed: fixed, immZ: z, immV: v, immO: o, immA: a };
}

/** Parse one table row into one Row per opcode of its range. */
export function parseRow(raw: readonly string[]): Row[] {
  const [key = "", mnemonic = "", operands = "", flagText = ""] = raw;
  const text = raw.join(" | ");
  let flags = 0;
  for (const f of flagText.split(" ").filter(Boolean)) {
    const bit = FLAG_BITS[f];
    if (bit === undefined) throw new Error(`decode table: bad flag "${f}" in ${text}`);
    flags |= bit;
  }
  const ops = operands ? operands.split(",").map((c) => parseOperand(c, text)) : [];
  const hasV = ops.some((o) => VSIZES.has(o.s));
  const byteOp = !hasV && ops.some((o) => o.s === SZ.B && o.t !== OT.I && o.t !== OT.J && o.t !== OT.ONE);
  const regForm = ops.some((o) => o.t === OT.C || o.t === OT.D);
  const entry: Entry = { k: 0, mnemonic: mnemonic as Mnemonic, flags, ops, byteOp, regForm, ...immLayout(ops) };
  const sse = ops.some((o) => SSE_TYPES.has(o.t));

  const tokens = key.split(" ");
  let pfx = -1;
  if (tokens[0] === "NP" || (tokens[1] === "0F" && ["66", "F3", "F2"].includes(tokens[0] ?? ""))) {
    pfx = ["NP", "66", "F3", "F2"].indexOf(tokens.shift() ?? "");
  }
  let map = 0;
  if (tokens[0] === "0F") {
    tokens.shift();
    map = 1;
    const esc = tokens[0] as string | undefined;
    if (esc === "38" || esc === "3A") { tokens.shift(); map = esc === "38" ? 2 : 3; }
  }
  const opTok = tokens.shift() ?? "";
  const [lo, hi] = opTok.includes("..") ? opTok.split("..") as [string, string] : [opTok, opTok];
  let mod = -1, reg = -1, rm = -1;
  for (const t of tokens) {
    if (/^\/[0-7]$/.test(t)) reg = Number(t.charAt(1));
    else if (t === "m") mod = 0;
    else if (t === "r") mod = 1;
    else if (t.startsWith("@")) {
      const b = hex(t.slice(1), text);
      if (b < 0xc0) throw new Error(`decode table: @modrm must have mod=11 in ${text}`);
      mod = 1; reg = (b >> 3) & 7; rm = b & 7;
    } else throw new Error(`decode table: bad key token "${t}" in ${text}`);
  }
  if (pfx >= 0 && map === 0) throw new Error(`decode table: mandatory prefix on a one-byte opcode in ${text}`);
  const mode = flags & EF.I64 ? 0 : flags & EF.O64 ? 1 : -1;
  const modrm = map >= 2 || mod >= 0 || reg >= 0 || ops.some((o) => MODRM_TYPES.has(o.t));
  const rows: Row[] = [];
  for (let op = hex(lo, text); op <= hex(hi, text); op++) {
    rows.push({ map, op, mode, pfx, mod, reg, rm, sse, modrm, entry, text });
  }
  return rows;
}

const LEVELS: readonly SEL[] = [SEL.MODE, SEL.MOD, SEL.REG, SEL.RM, SEL.PFX];
const WIDTH: Record<SEL, number> = { [SEL.MODE]: 2, [SEL.MOD]: 2, [SEL.REG]: 8, [SEL.RM]: 8, [SEL.PFX]: 4 };

function field(r: Row, sel: SEL): number {
  switch (sel) {
    case SEL.MODE: return r.mode;
    case SEL.MOD: return r.mod;
    case SEL.REG: return r.reg;
    case SEL.RM: return r.rm;
    case SEL.PFX: return r.pfx;
  }
}

function pick(rows: readonly Row[], sel: SEL, v: number): Row[] {
  if (sel === SEL.PFX) {
    // A row for this very prefix beats a row for any prefix (F3 0F BC TZCNT over 0F BC BSF);
    // an "NP" row is strict: 66/F2/F3 select nothing there (SDM A.2.5).
    const exact = rows.filter((r) => r.pfx === v);
    return exact.length > 0 ? exact : rows.filter((r) => r.pfx === -1);
  }
  return rows.filter((r) => field(r, sel) === -1 || field(r, sel) === v);
}

function build(rows: readonly Row[], level: number, conflicts: string[]): Node {
  if (rows.length === 0) return null;
  const sel = LEVELS[level];
  if (sel === undefined) {
    if (rows.length > 1) conflicts.push(rows.map((r) => r.text).join("  <->  "));
    return rows[0]?.entry ?? null;
  }
  if (rows.every((r) => field(r, sel) === -1)) return build(rows, level + 1, conflicts);
  const sub: Node[] = [];
  for (let v = 0; v < WIDTH[sel]; v++) sub.push(build(pick(rows, sel, v), level + 1, conflicts));
  return { k: sel, sub };
}

export interface CompiledTable {
  /** map * 256 + opcode → decoding tree. */
  readonly roots: readonly Node[];
  /** map * 256 + opcode → 1 when the opcode has a ModRM byte. */
  readonly hasModrm: Uint8Array;
  /** Slot conflicts (duplicate encodings); empty for a valid table. */
  readonly conflicts: readonly string[];
  /** Rows whose ModRM presence disagrees with other rows of the same opcode. */
  readonly modrmMismatch: readonly string[];
}

export function compileTable(table: readonly (readonly string[])[] = TABLE): CompiledTable {
  const byOp: Row[][] = Array.from({ length: 4 * 256 }, () => []);
  for (const raw of table) for (const r of parseRow(raw)) byOp[r.map * 256 + r.op]?.push(r);
  const conflicts: string[] = [];
  const modrmMismatch: string[] = [];
  const hasModrm = new Uint8Array(4 * 256);
  hasModrm.fill(1, 2 * 256); // every 0F38 / 0F3A opcode has a ModRM byte
  const roots = byOp.map((rows, i) => {
    if (rows.length > 0) {
      hasModrm[i] = rows[0]?.modrm ? 1 : 0;
      for (const r of rows) if (r.modrm !== rows[0]?.modrm) modrmMismatch.push(r.text);
    }
    return build(rows, 0, conflicts);
  });
  return { roots, hasModrm, conflicts, modrmMismatch };
}
