/**
 * The boot path of the Node CLI: turns validated RunOptions into a running machine.
 * This is the one function the CPU/JIT work fills in; until then it says so and exits 2.
 */

import type { RunOptions } from "./args.js";

/** Where the CLI writes text; injected so tests can capture it. */
export interface HostIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Exit code when the guest cannot run because the emulator lacks a part. */
export const EXIT_NOT_IMPLEMENTED = 2;

/**
 * Builds and runs the machine described by `options` (kernel and initrd already checked
 * to be readable files) and resolves to the process exit code. Serial ports come from
 * `createCharBackend(options.serial[i], { stdin: process.stdin, stdout: process.stdout })`
 * (char-backends.ts); a StdioCharBackend's `onExitRequest` (C-a x) should end the run.
 */
export async function runMachine(options: RunOptions, io: HostIo): Promise<number> {
  const what = options.initrd === undefined ? options.kernel : `${options.kernel} with ${options.initrd}`;
  io.stderr(`tsemu: cannot boot ${what}: the x86-64 CPU (JIT to WebAssembly) is not implemented yet\n`);
  return EXIT_NOT_IMPLEMENTED;
}
