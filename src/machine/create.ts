/**
 * Pick the board by MachineOptions.board: "pc" (default) or "microvm". An unknown name is a
 * one-line ConfigError (API users may pass any string).
 */
import { ConfigError } from "../common/errors.js";
import type { Serial16550 } from "../devices/serial-16550.js";
import type { KernelFormat } from "./kernel-image.js";
import type { Machine, MachineOptions } from "./machine.js";
import { createMicrovmMachine } from "./microvm.js";
import { createPcMachine } from "./pc.js";

/** What every board gives its host. */
export interface BoardMachineInfo extends Machine {
  readonly serial: Serial16550;
  readonly kernelFormat: KernelFormat;
}

export const BOARDS = ["pc", "microvm"] as const;
export type BoardName = (typeof BOARDS)[number];

export function createMachine(opts: MachineOptions): BoardMachineInfo {
  const board: string = opts.board ?? "pc";
  switch (board) {
    case "pc": return createPcMachine(opts);
    case "microvm": return createMicrovmMachine(opts);
    default: throw new ConfigError(`unknown machine '${board}' (supported: ${BOARDS.join(", ")})`);
  }
}
