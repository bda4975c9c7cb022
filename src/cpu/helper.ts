/**
 * CPU helpers: TypeScript functions that generated code calls for cold or complex work
 * (I/O ports, CPUID, MSRs, segment loads, interrupts). Each is declared ONCE here with its IR
 * signature, effect flags and implementation; the implementation receives the CPU it runs on
 * (helpers close over no globals, so many machines can share a process). Helpers that cross
 * into JavaScript take and return i32 only; 64-bit values travel through CPU state.
 */

import { EmulatorBug } from "../common/errors.js";
import { defineHelper } from "../jit/ir/helpers.js";
import type { HelperDecl, IrType } from "../jit/ir/types.js";
import type { Cpu } from "./cpu.js";

export type CpuHelperImpl = (cpu: Cpu, ...args: number[]) => number | void;

export interface CpuHelperDecl extends HelperDecl {
  readonly impl: CpuHelperImpl;
}

/** Declarations are immutable once their module has loaded; the map only grows at import. */
const declared = new Map<string, CpuHelperDecl>();

export function cpuHelper(name: string, params: readonly IrType[], result: IrType | null, flags: number, impl: CpuHelperImpl): CpuHelperDecl {
  if (declared.has(name)) throw new EmulatorBug(`CPU helper ${name} declared twice`);
  const d: CpuHelperDecl = Object.freeze({ ...defineHelper(name, params, result, flags), impl });
  declared.set(name, d);
  return d;
}

export function findCpuHelper(name: string): CpuHelperDecl | undefined {
  return declared.get(name);
}
