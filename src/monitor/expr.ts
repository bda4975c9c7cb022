/**
 * Monitor expressions, QEMU HMP style: integers (0x hex, leading 0 octal, else decimal),
 * 'c' characters, $register, unary + - ~, parentheses, and binary operators with QEMU's
 * precedence (lowest first): + -, then * / %, then & | ^. 64-bit wrap-around arithmetic.
 * Errors are MonitorError with a one-line message, never anything else.
 */

import * as U from "./u64.js";
import type { U64 } from "./u64.js";

export class MonitorError extends Error {
  override name = "MonitorError";
}

/** Resolves `$name` (without the $) to a value, or undefined for an unknown register. */
export type RegisterLookup = (name: string) => U64 | undefined;

class Parser {
  private _pos = 0;
  constructor(private readonly _s: string, private readonly _reg: RegisterLookup) {}

  parseAll(): U64 {
    const v = this._sum();
    this._skip();
    if (this._pos < this._s.length) throw new MonitorError(`unexpected '${this._s.slice(this._pos)}' in expression`);
    return v;
  }

  private _skip(): void {
    while (this._pos < this._s.length && /\s/.test(this._s[this._pos]!)) this._pos++;
  }
  private _peek(): string {
    this._skip();
    return this._s[this._pos] ?? "";
  }

  private _sum(): U64 {
    let v = this._prod();
    for (;;) {
      const op = this._peek();
      if (op !== "+" && op !== "-") return v;
      this._pos++;
      const r = this._prod();
      v = op === "+" ? U.add(v, r) : U.sub(v, r);
    }
  }

  private _prod(): U64 {
    let v = this._logic();
    for (;;) {
      const op = this._peek();
      if (op !== "*" && op !== "/" && op !== "%") return v;
      this._pos++;
      const r = this._logic();
      if (op === "*") { v = U.mul(v, r); continue; }
      const d = U.divmodS(v, r);
      if (!d) throw new MonitorError("division by zero");
      v = op === "/" ? d.q : d.r;
    }
  }

  private _logic(): U64 {
    let v = this._unary();
    for (;;) {
      const op = this._peek();
      if (op !== "&" && op !== "|" && op !== "^") return v;
      this._pos++;
      const r = this._unary();
      v = op === "&" ? U.and(v, r) : op === "|" ? U.or(v, r) : U.xor(v, r);
    }
  }

  private _unary(): U64 {
    const c = this._peek();
    const s = this._s;
    if (c === "") throw new MonitorError("expression expected");
    if (c === "+") { this._pos++; return this._unary(); }
    if (c === "-") { this._pos++; return U.neg(this._unary()); }
    if (c === "~") { this._pos++; return U.not(this._unary()); }
    if (c === "(") {
      this._pos++;
      const v = this._sum();
      if (this._peek() !== ")") throw new MonitorError("')' expected");
      this._pos++;
      return v;
    }
    if (c === "'") {
      const ch = s[this._pos + 1];
      if (ch === undefined || s[this._pos + 2] !== "'") throw new MonitorError("character constant expected ('c')");
      this._pos += 3;
      return U.u64(0, ch.charCodeAt(0));
    }
    if (c === "$") {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(s.slice(this._pos));
      if (!m) throw new MonitorError("register name expected after '$'");
      const v = this._reg(m[1]!.toLowerCase());
      if (v === undefined) throw new MonitorError(`unknown register '${m[1]}'`);
      this._pos += m[0].length;
      return v;
    }
    const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?![0-9A-Za-z_])/.exec(s.slice(this._pos));
    if (!m) throw new MonitorError(`invalid number or expression at '${s.slice(this._pos)}'`);
    this._pos += m[0].length;
    const t = m[1]!;
    const v = /^0[xX]/.test(t) ? U.parseU(t.slice(2), 16) : t.length > 1 && t[0] === "0" ? U.parseU(t.slice(1), 8) : U.parseU(t, 10);
    return v!;
  }
}

/** Evaluate a whole expression; throws MonitorError on a syntax error or unknown register. */
export function evaluate(text: string, registers: RegisterLookup): U64 {
  return new Parser(text, registers).parseAll();
}
