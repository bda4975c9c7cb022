/**
 * QEMU-style command-line parsing for the tsemu CLI, as a pure function: argv in, a typed
 * command out, or a ConfigError whose message is the one line the CLI prints. Every flag is
 * a row of FLAGS; an unknown flag, a missing value or a malformed value is an error.
 * `-flag` and `--flag` are the same (as in QEMU). No file system access happens here.
 */

import { ConfigError } from "../../common/errors.js";
import type { LogCategory } from "../../common/log.js";
import { parseSocketSpec, type SocketServerSpec } from "./socket-backend.js";

/** `mon:stdio` is stdio with the monitor multiplexed on it (`monitor: true`). */
export type SerialBackend =
  | { kind: "stdio"; monitor?: true } | { kind: "null" } | { kind: "file"; path: string }
  /** tcp:HOST:PORT / unix:PATH with server=on: a listening socket (QEMU socket chardev). */
  | ({ kind: "socket" } & SocketServerSpec);
export type MachineType = "pc" | "microvm";
export type CpuModel = "qemu64" | "max";

export interface RunOptions {
  kernel: string | undefined;
  initrd: string | undefined;
  append: string;
  /** Guest RAM in bytes. */
  memoryBytes: number;
  machine: MachineType;
  cpu: { model: CpuModel; physBits: number | undefined };
  smp: 1;
  nographic: boolean;
  /** One backend per COM port, COM1 first (default: COM1 on stdio). */
  serial: SerialBackend[];
  noReboot: boolean;
  /** gdbstub listen address, e.g. { host: "", port: 1234 } for `-s`. */
  gdb: { host: string; port: number } | undefined;
  /** -S: do not start the CPU until the debugger says so. */
  startStopped: boolean;
  debug: LogCategory[];
  logFile: string | undefined;
  /** -icount: deterministic virtual time, `shift` = log2 ns per instruction. */
  icount: { shift: number | "auto" } | undefined;
  accel: "tcg";
  /** undefined: not given (QEMU: -nographic multiplexes the monitor with the serial on stdio). */
  monitor: "none" | "stdio" | undefined;
  display: "none";
}

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  /** `-d help`, `-M help`, `-cpu help`: print the choices and exit 0 (as QEMU does). */
  | { kind: "list"; text: string }
  | { kind: "run"; options: RunOptions }
  | { kind: "mkinitramfs"; description: string; output: string; mtime: number | undefined }
  | { kind: "extract-vmlinux"; input: string; output: string };

export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;

/** Every `-d` category; the `satisfies` plus the check below keep it equal to LogCategory. */
export const DEBUG_CATEGORIES = [
  "guest_error", "unimp", "int", "exec", "cpu", "mmu", "jit", "ioport", "mmio", "pic", "pit",
  "apic", "ioapic", "serial", "rtc", "pci", "acpi", "boot", "virtio",
] as const satisfies readonly LogCategory[];
type MissingCategory = Exclude<LogCategory, (typeof DEBUG_CATEGORIES)[number]>;
const _allCategoriesListed: [MissingCategory] extends [never] ? true : MissingCategory = true;
void _allCategoriesListed;

export function defaultRunOptions(): RunOptions {
  return {
    kernel: undefined, initrd: undefined, append: "", memoryBytes: DEFAULT_MEMORY_BYTES,
    machine: "pc", cpu: { model: "qemu64", physBits: undefined }, smp: 1, nographic: false,
    serial: [], noReboot: false, gdb: undefined, startStopped: false, debug: [],
    logFile: undefined, icount: undefined, accel: "tcg", monitor: undefined, display: "none",
  };
}

const err = (msg: string): never => { throw new ConfigError(msg); };

const SIZE_UNITS: Record<string, number> = { "": 2 ** 20, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** `-m 512`, `512M`, `2G`, `size=1G`: a bare number means MiB (as in QEMU). */
export function parseMemorySize(v: string): number {
  const m = /^(?:size=)?(\d+)([kmgt]?)b?$/i.exec(v);
  const unit = SIZE_UNITS[(m?.[2] ?? "").toLowerCase()];
  if (!m || unit === undefined) return err(`invalid memory size '${v}' (examples: 512, 512M, 2G)`);
  const bytes = Number(m[1]) * unit;
  if (bytes < 2 ** 20) return err(`memory size '${v}' is below 1 MiB`);
  if (bytes % 4096 !== 0) return err(`memory size '${v}' is not a multiple of 4 KiB`);
  return bytes;
}

function parseCpu(v: string): RunOptions["cpu"] {
  const [model, ...props] = v.split(",");
  if (model !== "qemu64" && model !== "max") return err(`unsupported CPU model '${model}' (supported: qemu64, max)`);
  let physBits: number | undefined;
  for (const p of props) {
    const m = /^phys-bits=(\d+)$/.exec(p);
    if (!m) return err(`unsupported -cpu property '${p}' (supported: phys-bits=N)`);
    physBits = Number(m[1]);
    if (physBits < 32 || physBits > 52) return err(`phys-bits=${physBits} is outside 32..52`);
  }
  return { model, physBits };
}

function parseSerial(v: string): SerialBackend {
  if (v === "stdio") return { kind: "stdio" };
  if (v === "mon:stdio") return { kind: "stdio", monitor: true };
  if (v === "null" || v === "none") return { kind: "null" };
  if (v.startsWith("file:") && v.length > 5) return { kind: "file", path: v.slice(5) };
  if (v.startsWith("tcp:")) return { kind: "socket", ...parseSocketSpec("tcp", v.slice(4)) };
  if (v.startsWith("unix:")) return { kind: "socket", ...parseSocketSpec("unix", v.slice(5)) };
  return err(`unsupported -serial backend '${v}' (supported: stdio, null, file:PATH, tcp:HOST:PORT,server=on[,wait=off], unix:PATH,server=on[,wait=off])`);
}

function parseGdb(v: string): { host: string; port: number } {
  const m = /^tcp:([^:]*):(\d+)$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port > 65535) return err(`unsupported -gdb device '${v}' (expected tcp::PORT or tcp:HOST:PORT; port 0 = any free port)`);
  return { host: m[1] ?? "", port };
}

function parseDebug(v: string): LogCategory[] {
  const known: readonly string[] = DEBUG_CATEGORIES;
  return v.split(",").map((c) => {
    if (!known.includes(c)) err(`unknown -d category '${c}' (known: ${DEBUG_CATEGORIES.join(", ")})`);
    return c as LogCategory;
  });
}

function parseIcount(v: string): { shift: number | "auto" } {
  const m = /^(?:shift=)?(auto|\d+)$/.exec(v);
  if (!m) return err(`unsupported -icount value '${v}' (expected N, shift=N or auto)`);
  const shift = m[1] === "auto" ? "auto" : Number(m[1]);
  if (shift !== "auto" && shift > 10) return err(`-icount shift ${shift} is above 10`);
  return { shift };
}

interface FlagSpec {
  /** Whether the flag takes the next argv element as its value. */
  value: boolean;
  apply(o: RunOptions, v: string): void;
}

const oneOf = <T extends string>(flag: string, allowed: readonly T[], v: string): T =>
  (allowed as readonly string[]).includes(v) ? (v as T) : err(`unsupported ${flag} '${v}' (supported: ${allowed.join(", ")})`);

const machineFlag: FlagSpec = {
  value: true, apply: (o, v) => { o.machine = oneOf("-machine", ["pc", "microvm"], v.replace(/^type=/, "")); },
};

/** The run flags, QEMU spelling. Add a row to add a flag. */
const FLAGS: Record<string, FlagSpec> = {
  kernel: { value: true, apply: (o, v) => { o.kernel = v; } },
  initrd: { value: true, apply: (o, v) => { o.initrd = v; } },
  append: { value: true, apply: (o, v) => { o.append = v; } },
  m: { value: true, apply: (o, v) => { o.memoryBytes = parseMemorySize(v); } },
  machine: machineFlag,
  M: machineFlag,
  cpu: { value: true, apply: (o, v) => { o.cpu = parseCpu(v); } },
  smp: { value: true, apply: (_o, v) => { if (!/^(cpus=)?1$/.test(v)) err(`-smp ${v}: only one CPU is supported`); } },
  nographic: { value: false, apply: (o) => { o.nographic = true; } },
  serial: { value: true, apply: (o, v) => { o.serial.push(parseSerial(v)); if (o.serial.length > 4) err("at most 4 -serial ports"); } },
  "no-reboot": { value: false, apply: (o) => { o.noReboot = true; } },
  s: { value: false, apply: (o) => { o.gdb = { host: "", port: 1234 }; } },
  S: { value: false, apply: (o) => { o.startStopped = true; } },
  gdb: { value: true, apply: (o, v) => { o.gdb = v === "none" ? undefined : parseGdb(v); } },
  d: { value: true, apply: (o, v) => { o.debug.push(...parseDebug(v)); } },
  D: { value: true, apply: (o, v) => { o.logFile = v; } },
  icount: { value: true, apply: (o, v) => { o.icount = parseIcount(v); } },
  accel: { value: true, apply: (o, v) => { o.accel = oneOf("-accel", ["tcg"], v); } },
  monitor: { value: true, apply: (o, v) => { o.monitor = oneOf<"none" | "stdio">("-monitor", ["none", "stdio"], v); } },
  display: { value: true, apply: (o, v) => { o.display = oneOf("-display", ["none"], v); } },
};

/** What `-FLAG help` prints. */
const MACHINE_HELP = "Supported machines:\n  pc        Standard PC (default)\n  microvm   minimal machine, virtio-mmio devices only";
const HELP_LISTS: Record<string, string> = {
  d: `Log categories (-d CAT[,CAT...]):\n${DEBUG_CATEGORIES.map((c) => `  ${c}`).join("\n")}`,
  machine: MACHINE_HELP,
  M: MACHINE_HELP,
  cpu: "Available CPU models (-cpu MODEL[,phys-bits=N]):\n  qemu64    default\n  max       all features tsemu implements",
};

/** Strips one or two leading dashes; undefined when `a` is not a flag. */
function flagName(a: string): string | undefined {
  const m = /^--?(.+)$/.exec(a);
  return m ? m[1] : undefined;
}

function parseMkinitramfs(argv: readonly string[]): Command {
  let description: string | undefined;
  let output: string | undefined;
  let mtime: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const needValue = (): string => argv[++i] ?? err(`mkinitramfs: option '${a}' needs a value`);
    if (a === "-o" || a === "--output") output = needValue();
    else if (a === "-t" || a === "--mtime") {
      const v = needValue();
      if (!/^\d+$/.test(v) || Number(v) > 0xffff_ffff) err(`mkinitramfs: invalid mtime '${v}'`);
      mtime = Number(v);
    } else if (a.startsWith("-") && a !== "-") err(`mkinitramfs: unknown option '${a}'`);
    else if (description === undefined) description = a;
    else err(`mkinitramfs: unexpected argument '${a}'`);
  }
  if (description === undefined) return err("mkinitramfs: no description file given (usage: tsemu mkinitramfs DESC -o OUT.cpio[.gz])");
  if (output === undefined) return err("mkinitramfs: no output given (use -o OUT.cpio or -o OUT.cpio.gz)");
  return { kind: "mkinitramfs", description, output, mtime };
}

/** `tsemu extract-vmlinux BZIMAGE -o VMLINUX`: the ELF kernel inside a bzImage, for PVH boots. */
function parseExtractVmlinux(argv: readonly string[]): Command {
  let input: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-o" || a === "--output") output = argv[++i] ?? err(`extract-vmlinux: option '${a}' needs a value`);
    else if (a.startsWith("-")) err(`extract-vmlinux: unknown option '${a}'`);
    else if (input === undefined) input = a;
    else err(`extract-vmlinux: unexpected argument '${a}'`);
  }
  if (input === undefined) return err("extract-vmlinux: no bzImage given (usage: tsemu extract-vmlinux BZIMAGE -o VMLINUX)");
  if (output === undefined) return err("extract-vmlinux: no output given (use -o VMLINUX)");
  return { kind: "extract-vmlinux", input, output };
}

/** Parses the CLI arguments (without `node` and the script path). Throws ConfigError. */
export function parseArgs(argv: readonly string[]): Command {
  if (argv[0] === "mkinitramfs") return parseMkinitramfs(argv.slice(1));
  if (argv[0] === "extract-vmlinux") return parseExtractVmlinux(argv.slice(1));
  const o = defaultRunOptions();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = flagName(a);
    if (name === undefined) return err(`unexpected argument '${a}' (flags start with '-'; see --help)`);
    if (name === "help" || name === "h") return { kind: "help" };
    if (name === "version") return { kind: "version" };
    const spec = Object.prototype.hasOwnProperty.call(FLAGS, name) ? FLAGS[name] : undefined;
    if (!spec) return err(`unknown option '${a}' (see --help)`);
    if (!spec.value) { spec.apply(o, ""); continue; }
    const v = argv[i + 1];
    if (v === undefined) return err(`option '${a}' needs a value`);
    i++;
    const choices = v === "help" ? HELP_LISTS[name] : undefined;
    if (choices !== undefined) return { kind: "list", text: choices };
    spec.apply(o, v);
  }
  if (o.serial.length === 0) o.serial.push({ kind: "stdio" });
  return { kind: "run", options: o };
}

export const USAGE = `usage: tsemu [options]                      boot a guest (QEMU-style flags)
       tsemu mkinitramfs DESC -o OUT.cpio[.gz] [-t MTIME]
       tsemu extract-vmlinux BZIMAGE -o VMLINUX   (the ELF inside a bzImage, for a fast PVH boot)

Boot options:
  -kernel FILE        Linux bzImage to boot (required)
  -initrd FILE        initial ramdisk (cpio, optionally gzip'd)
  -append CMDLINE     kernel command line, e.g. console=ttyS0
  -m SIZE             guest RAM: 512, 512M, 2G (bare number = MiB; default 512M)
  -machine, -M TYPE   pc (default) | microvm
  -cpu MODEL[,phys-bits=N]  qemu64 (default) | max
  -smp 1              one CPU (the only supported count)
  -nographic          no display; serial port on stdio
  -serial DEV         stdio | null | file:PATH | tcp:HOST:PORT,server=on[,wait=off]
                      | unix:PATH,server=on[,wait=off] (repeat for COM2..COM4)
  -no-reboot          exit instead of rebooting when the guest resets
  -s                  shorthand for -gdb tcp::1234
  -S                  do not start the CPU at start-up (continue from gdb or the monitor)
  -gdb tcp:[HOST]:PORT  gdbstub (gdb: target remote :PORT); no HOST = 127.0.0.1,
                      port 0 = a free port (printed)
  -d CAT[,CAT...]     enable log categories (${DEBUG_CATEGORIES.join(",")})
  -D FILE             write logs to FILE instead of stderr
  -icount N|auto      deterministic virtual time, 2^N ns per instruction
  -accel tcg          the only accelerator
  -monitor none|stdio the human monitor on stdio (default with -nographic:
                      shared with the serial console, C-a c switches)
  -display none       the only display
  --help, --version

mkinitramfs: builds a newc cpio archive from a gen_init_cpio description
  (file/dir/nod/slink/pipe/sock lines; DESC - reads standard input); OUT ending
  in .gz is gzip-compressed; -t sets every entry's mtime (default 0).`;
