/**
 * defineHelper: declare a helper once (QEMU DEF_HELPER_FLAGS). The declaration is the typed
 * handle semantics pass to IrBuilder.call(); its name is only the import key at the JS API
 * boundary, and must be unique within a HelperSet. Helpers that cross into JavaScript take
 * and return i32 only (an i64 there would be a BigInt); 64-bit values travel through CPU state.
 */

import { EmulatorBug } from "../../common/errors.js";
import type { HelperDecl, IrType } from "./types.js";

export function defineHelper(name: string, params: readonly IrType[], result: IrType | null, flags: number): HelperDecl {
  return Object.freeze({ name, params: Object.freeze([...params]), result, flags });
}

/** Helper implementations bound to one machine (helpers close over their CPU, not globals). */
export class HelperSet<F extends (...args: number[]) => number | void = (...args: number[]) => number | void> {
  private readonly _impls = new Map<string, F>();
  private readonly _decls = new Map<string, HelperDecl>();

  bind(decl: HelperDecl, impl: F): void {
    if (this._decls.has(decl.name) && this._decls.get(decl.name) !== decl)
      throw new EmulatorBug(`two helpers named ${decl.name}`);
    this._decls.set(decl.name, decl);
    this._impls.set(decl.name, impl);
  }

  resolve(name: string): F {
    const f = this._impls.get(name);
    if (!f) throw new EmulatorBug(`helper ${name} has no implementation`);
    return f;
  }
}
