/**
 * The x87 transcendental group (SDM vol 1 8.3.8-8.3.10): FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
 * F2XM1, FYL2X, FYL2XP1. Special operands follow the soft-float rules (NaN propagation,
 * unsupported formats and SNaNs -> IE, denormals -> DE); the values are computed by
 * fp/trans80.ts and rounded to 64 bits on the soft-float unit, raising PE/UE/OE and C1.
 * FSIN/FCOS/FSINCOS/FPTAN with |x| >= 2^63 set C2 and leave the operand.
 */

import { Cls, Exc } from "./fp/softfloat80.js";
import { Fsw } from "./fpu-state.js";
import { X87, sf } from "./x87-fpu.js";
import { X87Op } from "./x87-ops.js";
import { Trans, trans80 } from "./fp/trans80.js";

const IND: readonly [number, number, number] = [0, 0xc0000000 | 0, 0xffff];

export function transcendental(f: X87, op: X87Op): void {
  const two = op === X87Op.PATAN || op === X87Op.YL2X || op === X87Op.YL2XP1;
  const pushes = op === X87Op.SINCOS || op === X87Op.PTAN;
  const trig = op === X87Op.SIN || op === X87Op.COS || pushes;
  if (f.isEmpty(0) || (two && f.isEmpty(1))) {
    if (!f.underflow(two ? 1 : 0)) return;
    if (two) f.pop();
    if (pushes) f.pushImage(...IND);
    return;
  }
  if (pushes && !f.isEmpty(7)) { f.pushImage(...IND); return; } // stack overflow
  f.begin();
  const m0 = f.image(0);
  const x = sf.unpack(sf.a, m0[0]!, m0[1]!, m0[2]!);
  let y = null;
  if (two) { const m1 = f.image(1); y = sf.unpack(sf.b, m1[0]!, m1[1]!, m1[2]!); }
  const dst = two ? 1 : 0;
  if (sf.nanRule(two ? y! : x, two ? x : null)) {
    sf.exc &= ~Exc.DE;
    if (!f.commit(dst)) return;
    if (two) f.pop();
    else if (pushes) f.pushImage(sf.lo, sf.hi, sf.se);
    if (trig) f.fsw &= ~Fsw.C2;
    return;
  }
  if (trig) {
    if (x.c === Cls.NORM && x.e >= 63) { f.fsw = (f.fsw & ~Fsw.C2) | Fsw.C2; f.commit(-1); return; }
    f.fsw &= ~Fsw.C2;
  }
  const kind = op === X87Op.SIN ? Trans.SIN : op === X87Op.COS ? Trans.COS : op === X87Op.SINCOS ? Trans.SINCOS
    : op === X87Op.PTAN ? Trans.TAN : op === X87Op.F2XM1 ? Trans.F2XM1 : op === X87Op.PATAN ? Trans.ATAN
      : op === X87Op.YL2X ? Trans.YL2X : Trans.YL2XP1;
  const r = trans80(sf, kind, x, y);
  if (!f.commit(-1)) return;
  // r: the result image(s) in sf (and the second result for SINCOS/PTAN in trans80's out)
  if (two) { f.setImage(1, r.lo, r.hi, r.se); f.pop(); return; }
  f.setImage(0, r.lo, r.hi, r.se);
  if (pushes) f.pushImage(r.lo2, r.hi2, r.se2);
}
