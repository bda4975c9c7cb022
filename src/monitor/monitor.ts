/**
 * The human monitor (QEMU HMP), host-neutral: one line of text in, the text to print out.
 * Commands are rows of a table (names, argument spec, help, handler); `info` items are rows of
 * a second table parsed the same way. Arguments follow HMP syntax: an optional `/FMT`, `-f`
 * style flags, words, and a trailing expression (expr.ts). Any user mistake (unknown command,
 * bad format, bad expression, unmapped address) is one error line, never an exception.
 * Run control (stop/cont/quit) belongs to the host, which passes a RunControl.
 */

import { RunWord } from "../cpu/state-layout.js";
import type { Machine } from "../machine/machine.js";
import { evaluate, MonitorError } from "./expr.js";
import { formatJitInfo } from "../jit/jit-info.js";
import { memoryDump, parseFmt, formatValue, type DumpFormat, type DumpSize, type Fmt } from "./memory-dump.js";
import { currentPc, formatRegisters, registerValue } from "./registers.js";
import * as U from "./u64.js";
import type { U64 } from "./u64.js";

export { MonitorError };

/** What the host does for the run-control commands. */
export interface RunControl {
  /** False while the monitor has the guest stopped. */
  readonly running: boolean;
  stop(): void;
  cont(): void;
  /** End the emulator with this exit status (quit: 0). */
  quit(exitCode: number): void;
}

/** One argument of a command, in order: what the parser takes from the line. */
type ArgSpec =
  | { kind: "fmt" } // optional /FMT
  | { kind: "flag"; flag: string } // optional -X
  | { kind: "word"; name: string; optional: boolean } // one whitespace-free word
  | { kind: "expr"; name: string } // the rest of the line, evaluated
  | { kind: "rest" }; // the rest of the line, unparsed (for `info ITEM ...`)

interface Args {
  fmt: Fmt;
  flags: Set<string>;
  words: (string | undefined)[];
  value: U64;
  /** The unparsed rest, for `info` (which dispatches to its own table). */
  rest: string;
}

interface CommandDef {
  names: readonly string[];
  args: readonly ArgSpec[];
  /** Argument synopsis for help, e.g. "/fmt addr". */
  params: string;
  help: string;
  run(mon: Monitor, a: Args): string;
}

const fmtArg: ArgSpec = { kind: "fmt" };
const exprArg = (name: string): ArgSpec => ({ kind: "expr", name });

const INFO_ITEMS: readonly CommandDef[] = [
  { names: ["registers"], args: [], params: "", help: "show the cpu registers", run: (m) => formatRegisters(m.machine.cpu) },
  {
    names: ["mtree"], args: [{ kind: "flag", flag: "f" }], params: "[-f]", help: "show memory tree (-f: flat views)",
    run: (m, a) => {
      const f = a.flags.has("f");
      return [m.machine.memory, m.machine.io].map((as) => (f ? as.dumpFlat() : as.dumpTree())).join("\n");
    },
  },
  { names: ["qtree"], args: [], params: "", help: "show device tree", run: (m) => m.machine.dumpQtree() },
  { names: ["jit"], args: [], params: "", help: "show dynamic compiler info", run: (m) => formatJitInfo(m.machine.cpu.jitStats()) },
  {
    names: ["cpus"], args: [], params: "", help: "show infos for each CPU",
    run: (m) => {
      const halted = m.machine.cpu.state.run(RunWord.HALTED) !== 0;
      return `* CPU #0: pc=0x${U.toStringU(currentPc(m.machine.cpu), 16)}${halted ? " (halted)" : ""}\n`;
    },
  },
  { names: ["status"], args: [], params: "", help: "show the current VM status (running|paused)", run: (m) => `VM status: ${m.control.running ? "running" : "paused"}\n` },
];

function helpLines(table: readonly CommandDef[], prefix: string): string {
  return table.map((c) => `${prefix}${c.names.join("|")}${c.params ? " " + c.params : ""} -- ${c.help}\n`).join("");
}

const COMMANDS: readonly CommandDef[] = [
  {
    names: ["help", "?"], args: [{ kind: "word", name: "cmd", optional: true }], params: "[cmd]", help: "show the help",
    run: (_m, a) => {
      const name = a.words[0];
      if (name === undefined) return helpLines(COMMANDS, "");
      if (name === "info") return helpLines(INFO_ITEMS, "info ");
      const c = findCommand(COMMANDS, name);
      if (!c) throw new MonitorError(`unknown command: '${name}'`);
      return helpLines([c], "");
    },
  },
  {
    names: ["info"], args: [{ kind: "word", name: "item", optional: true }, { kind: "rest" }], params: "[subcommand]", help: "show various information about the system state",
    run: (m, a) => {
      const item = a.words[0];
      if (item === undefined) return helpLines(INFO_ITEMS, "info ");
      const c = findCommand(INFO_ITEMS, item);
      if (!c) throw new MonitorError(`unknown command: 'info ${item}'`);
      return c.run(m, parseArgs(c, a.rest, m));
    },
  },
  { names: ["x"], args: [fmtArg, exprArg("addr")], params: "/fmt addr", help: "virtual memory dump starting at 'addr'", run: (m, a) => m.dump(a, false) },
  { names: ["xp"], args: [fmtArg, exprArg("addr")], params: "/fmt addr", help: "physical memory dump starting at 'addr'", run: (m, a) => m.dump(a, true) },
  { names: ["print", "p"], args: [fmtArg, exprArg("expression")], params: "/fmt expr", help: "print expression value (use $reg for CPU register access)", run: (m, a) => m.print(a) },
  { names: ["stop"], args: [], params: "", help: "stop emulation", run: (m) => { m.control.stop(); return ""; } },
  { names: ["cont", "c"], args: [], params: "", help: "resume emulation", run: (m) => { m.control.cont(); return ""; } },
  {
    names: ["system_reset"], args: [], params: "", help: "reset the system",
    run: (m) => {
      m.machine.requestReset("system_reset (monitor)");
      // Act now: a stopped guest stays stopped but is reset (QEMU); with -no-reboot this exits.
      const r = m.machine.serviceRequests();
      if (r?.kind === "exit") m.control.quit(r.exitCode);
      return "";
    },
  },
  { names: ["nmi"], args: [], params: "", help: "inject an NMI", run: (m) => { m.machine.cpu.nmi(); return ""; } },
  { names: ["quit", "q"], args: [], params: "", help: "quit the emulator", run: (m) => { m.control.quit(0); return ""; } },
];

function findCommand(table: readonly CommandDef[], name: string): CommandDef | undefined {
  return table.find((c) => c.names.includes(name));
}

/** Parse `text` (the line after the command name) against the command's argument spec. */
function parseArgs(c: CommandDef, text: string, mon: Monitor): Args {
  const a: Args = { fmt: { count: 1, ...mon.lastFmt, explicitSize: false }, flags: new Set(), words: [], value: U.ZERO, rest: "" };
  let s = text.trimStart();
  for (const spec of c.args) {
    switch (spec.kind) {
      case "fmt": {
        const m = /^\/(\S*)/.exec(s);
        if (m) {
          a.fmt = parseFmt(m[1]!, mon.lastFmt);
          s = s.slice(m[0].length).trimStart();
        }
        break;
      }
      case "flag": {
        const m = new RegExp(`^-${spec.flag}(?=\\s|$)`).exec(s);
        if (m) {
          a.flags.add(spec.flag);
          s = s.slice(m[0].length).trimStart();
        }
        break;
      }
      case "word": {
        const m = /^\S+/.exec(s);
        if (!m && !spec.optional) throw new MonitorError(`${c.names[0]}: missing argument '${spec.name}'`);
        a.words.push(m?.[0]);
        s = s.slice(m?.[0].length ?? 0).trimStart();
        break;
      }
      case "expr": {
        if (s === "") throw new MonitorError(`${c.names[0]}: missing argument '${spec.name}'`);
        a.value = evaluate(s, (name) => registerValue(mon.machine.cpu, name));
        s = "";
        break;
      }
      case "rest":
        a.rest = s;
        s = "";
        break;
    }
  }
  if (s !== "") throw new MonitorError(`${c.names[0]}: unexpected argument '${s}'`);
  return a;
}

export class Monitor {
  /** The format and size `x`/`xp`/`print` use when the command gives none (QEMU remembers the last). */
  lastFmt: { format: DumpFormat; size: DumpSize } = { format: "x", size: 4 };

  constructor(readonly machine: Machine, readonly control: RunControl) {}

  /** Run one command line and return what to print (errors are one line). */
  execute(line: string): string {
    const text = line.trim();
    if (text === "") return "";
    const m = /^([A-Za-z_][A-Za-z0-9_]*|\?)(.*)$/s.exec(text);
    const c = m ? findCommand(COMMANDS, m[1]!) : undefined;
    if (!m || !c) return `unknown command: '${text.split(/[\s/]/)[0]}'\n`;
    try {
      return c.run(this, parseArgs(c, m[2]!, this));
    } catch (e) {
      if (e instanceof MonitorError) return `${e.message}\n`;
      throw e;
    }
  }

  /** `x` / `xp`. */
  dump(a: Args, physical: boolean): string {
    this._remember(a.fmt);
    return memoryDump(this.machine.cpu, this.machine.memory, a.fmt, a.value, physical);
  }

  /** `print`: the value in the format (default hex), as QEMU prints it. */
  print(a: Args): string {
    const f = a.fmt.format;
    if (f === "i") throw new MonitorError("print: format 'i' is not supported");
    this._remember(a.fmt);
    const v = a.value;
    switch (f) {
      case "x": return `${U.isZero(v) ? "0" : "0x" + U.toStringU(v, 16)}\n`;
      case "o": return `${U.isZero(v) ? "0" : "0" + U.toStringU(v, 8)}\n`;
      case "u": return `${U.toStringU(v, 10)}\n`;
      case "d": return `${U.toStringS(v)}\n`;
      case "c": return `${formatValue(v, "c", 1)}\n`;
    }
  }

  private _remember(f: Fmt): void {
    this.lastFmt = f.format === "i" ? { format: "i", size: this.lastFmt.size } : { format: f.format, size: f.size };
  }
}
