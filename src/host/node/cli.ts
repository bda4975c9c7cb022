/**
 * The tsemu command: dispatches parsed arguments to the boot path (run.ts) or to the
 * `mkinitramfs` subcommand. User mistakes (ConfigError) become one line `tsemu: <problem>`
 * and exit code 1; nothing here calls process.exit, so tests drive `main` directly.
 */

import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { buildInitramfs } from "../../boot/cpio.js";
import { extractVmlinux } from "../../boot/extract-vmlinux.js";
import { ConfigError } from "../../common/errors.js";
import { parseArgs, USAGE, type Command, type RunOptions } from "./args.js";
import { runMachine, type HostIo } from "./run.js";

declare const __TSEMU_VERSION__: string | undefined;

/** The version baked in by scripts/build.mjs; "dev" when running from source (tests). */
export const VERSION: string = typeof __TSEMU_VERSION__ === "string" ? __TSEMU_VERSION__ : "dev";

export const nodeIo: HostIo = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
};

function errnoMessage(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === "ENOENT") return "does not exist";
  if (code === "EACCES" || code === "EPERM") return "is not readable (permission denied)";
  return e instanceof Error ? e.message : String(e);
}

/** Checks that `path` is a regular file we can read at least one byte of. */
export function checkReadableFile(path: string, what: string): void {
  let fd: number | undefined;
  try {
    if (!statSync(path).isFile()) throw new ConfigError(`${what} '${path}' is not a regular file`);
    fd = openSync(path, "r");
    if (readSync(fd, Buffer.alloc(1), 0, 1, 0) !== 1) throw new ConfigError(`${what} '${path}' is empty`);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${what} '${path}' ${errnoMessage(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function boot(o: RunOptions, io: HostIo): Promise<number> {
  if (o.kernel === undefined) throw new ConfigError("no kernel given (use -kernel bzImage; see --help)");
  checkReadableFile(o.kernel, "kernel");
  if (o.initrd !== undefined) checkReadableFile(o.initrd, "initrd");
  return runMachine(o, io);
}

/**
 * `tsemu mkinitramfs`: DESC "-" is standard input; locations in the description are relative
 * to the current directory (as with gen_init_cpio).
 */
function mkinitramfs(c: Command & { kind: "mkinitramfs" }): number {
  let text: string;
  try {
    text = readFileSync(c.description === "-" ? 0 : c.description, "utf8");
  } catch (e) {
    throw new ConfigError(`description '${c.description}' ${errnoMessage(e)}`);
  }
  const cpio = buildInitramfs(text, {
    readFile: (loc) => readFileSync(resolve(loc)),
    mtime: c.mtime,
  });
  const out = c.output.endsWith(".gz") ? gzipSync(cpio, { level: 9 }) : cpio;
  try {
    writeFileSync(c.output, out);
  } catch (e) {
    throw new ConfigError(`cannot write '${c.output}': ${e instanceof Error ? e.message : String(e)}`);
  }
  return 0;
}

/** `tsemu extract-vmlinux`: decompress a bzImage's payload (xz or gzip) to the ELF vmlinux. */
function extractVmlinuxCmd(c: Command & { kind: "extract-vmlinux" }): number {
  checkReadableFile(c.input, "bzImage");
  const elf = extractVmlinux(new Uint8Array(readFileSync(c.input)));
  try {
    writeFileSync(c.output, elf);
  } catch (e) {
    throw new ConfigError(`cannot write '${c.output}': ${e instanceof Error ? e.message : String(e)}`);
  }
  return 0;
}

/** Runs the CLI with `argv` (no node/script prefix) and resolves to the exit code. */
export async function main(argv: readonly string[], io: HostIo = nodeIo): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    switch (cmd.kind) {
      case "help": io.stdout(`${USAGE}\n`); return 0;
      case "list": io.stdout(`${cmd.text}\n`); return 0;
      case "version": io.stdout(`tsemu ${VERSION}\n`); return 0;
      case "mkinitramfs": return mkinitramfs(cmd);
      case "extract-vmlinux": return extractVmlinuxCmd(cmd);
      case "run": return await boot(cmd.options, io);
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`tsemu: ${e.message.replace(/\s*\n\s*/g, " ")}\n`);
      return 1;
    }
    throw e;
  }
}
