/**
 * Runtime functions written in IR and compiled once into the runtime module: the lazy-flags
 * evaluators for when the CcOp is not known at translate time (at a block's start, after a
 * helper). They reuse flags.ts, so there is still one implementation of each flag.
 */

import { IrBuilder } from "../jit/ir/builder.js";
import { defineHelper } from "../jit/ir/helpers.js";
import { HelperFlag, IrType, type HelperDecl, type IrUnit } from "../jit/ir/types.js";
import { CC_OP_COUNT, emitCf, emitEflags, type CcOp } from "./flags.js";
import { StateOff } from "./state-layout.js";

/** compute_eflags(): the six arithmetic flags from the lazy state in CPU state. */
export const computeEflagsFn = defineHelper("compute_eflags", [], IrType.I32, HelperFlag.NO_WRITE_GLOBALS);
/** compute_cf(): CF (0/1) from the lazy state. */
export const computeCfFn = defineHelper("compute_cf", [], IrType.I32, HelperFlag.NO_WRITE_GLOBALS);

function switchOnCcOp(name: string, emit: (b: IrBuilder, op: CcOp) => void): IrUnit {
  const b = new IrBuilder(name, "function", IrType.I32);
  const op = b.ldEnv(IrType.I32, StateOff.CC_OP);
  for (let k = 0; k < CC_OP_COUNT; k++) {
    const next = b.label();
    b.brcond("ne", op, b.i32(k), next);
    emit(b, k);
    b.setLabel(next);
  }
  b.ret(b.i32(0));
  return b.finish();
}

export function runtimeFunctions(): { decl: HelperDecl; unit: IrUnit }[] {
  return [
    { decl: computeEflagsFn, unit: switchOnCcOp("compute_eflags", (b, op) => b.ret(emitEflags(b, op))) },
    { decl: computeCfFn, unit: switchOnCcOp("compute_cf", (b, op) => b.ret(emitCf(b, op))) },
  ];
}
