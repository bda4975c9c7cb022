/**
 * Error policy (docs/ARCHITECTURE.md, "Errors"):
 * - Guest mistakes never throw: they become guest-visible faults or are logged (Logger.guestError).
 * - EmulatorBug: an invariant of the emulator broke. Only these may escape a run loop.
 * - ConfigError: the user's input is wrong (missing file, garbled kernel, unknown option);
 *   the CLI prints its message as one line and exits non-zero.
 */

export class EmulatorBug extends Error {
  override name = "EmulatorBug";
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new EmulatorBug(message);
}
