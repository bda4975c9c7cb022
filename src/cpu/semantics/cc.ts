/**
 * Flag consumers for semantics: CF and condition codes, inline when the block knows the
 * CcOp, through the runtime's compute_* functions otherwise.
 */

import type { Temp } from "../../jit/ir/types.js";
import { condFromEflags, emitCf, emitCondStatic, emitEflags } from "../flags.js";
import { computeCfFn, computeEflagsFn } from "../runtime-fns.js";
import type { X86Ctx } from "./context.js";

/** CF as i32 0/1. */
export function getCf(ctx: X86Ctx): Temp {
  return ctx.ccOp >= 0 ? emitCf(ctx.b, ctx.ccOp) : ctx.b.callValue(computeCfFn, []);
}

/** The six arithmetic flags (EFLAGS positions) as i32. */
export function getArithFlags(ctx: X86Ctx): Temp {
  return ctx.ccOp >= 0 ? emitEflags(ctx.b, ctx.ccOp) : ctx.b.callValue(computeEflagsFn, []);
}

/** Condition `cc` (0..15, SDM encoding) as i32 0/1. */
export function getCond(ctx: X86Ctx, cc: number): Temp {
  if (ctx.ccOp >= 0) return emitCondStatic(ctx.b, cc, ctx.ccOp);
  return condFromEflags(ctx.b, cc, ctx.b.callValue(computeEflagsFn, []));
}
