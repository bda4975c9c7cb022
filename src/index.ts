/**
 * tsemu as a library: create machines, drive them through their serial ports, read their
 * exit status. The public surface only; everything else is internal.
 */
export { createMachine } from "./api/machine.js";
export { parseMemory } from "./api/options.js";
export { ConfigError } from "./common/errors.js";
export type {
  AbortSignalLike, Event, IDisposable, JitStats, LogCategory, LogSink, Machine, MachineOptions, MachineStats, RunOptions, RunResult, SerialPort,
} from "./api/types.js";
