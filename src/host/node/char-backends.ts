/**
 * Node character backends for `-serial` (QEMU chardevs): stdio, file and null, behind the
 * core's CharBackend interface (src/devices/char-backend.ts). The stdio backend puts a TTY
 * in raw mode (so ^C reaches the guest, as with QEMU -nographic) and understands QEMU's
 * Ctrl-A escapes: `C-a x` exits, `C-a h` prints help, `C-a c` switches between the console
 * and the monitor when they share stdio (monitor-stdio.ts), `C-a C-a` sends a literal C-a.
 */

import { closeSync, openSync, writeSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { Emitter, type Event } from "../../common/lifecycle.js";
import { ConfigError } from "../../common/errors.js";
import { NullCharBackend, type CharBackend } from "../../devices/char-backend.js";
import type { SerialBackend } from "./args.js";

const CTRL_A = 0x01;

export type EscapeCommand = "exit" | "help" | "break" | "monitor";

/** Splits host input into bytes for the guest and Ctrl-A escape commands (QEMU mux keys). */
export class EscapeFilter {
  private _pendingEscape = false;

  /** The data runs and commands of `chunk` in the order they were typed. */
  split(chunk: Uint8Array): (Uint8Array | EscapeCommand)[] {
    const out: (Uint8Array | EscapeCommand)[] = [];
    let data: number[] = [];
    const command = (c: EscapeCommand): void => {
      if (data.length) out.push(Uint8Array.from(data));
      data = [];
      out.push(c);
    };
    for (const b of chunk) {
      if (!this._pendingEscape) {
        if (b === CTRL_A) this._pendingEscape = true;
        else data.push(b);
        continue;
      }
      this._pendingEscape = false;
      const key = String.fromCharCode(b).toLowerCase();
      if (b === CTRL_A) data.push(CTRL_A);
      else if (key === "x") command("exit");
      else if (key === "h" || key === "?") command("help");
      else if (key === "b") command("break");
      else if (key === "c") command("monitor");
      // Other keys (QEMU: s sync, t timestamps) are ignored.
    }
    if (data.length) out.push(Uint8Array.from(data));
    return out;
  }

  /** Returns the guest bytes of `chunk` and the commands typed in it, in order. */
  feed(chunk: Uint8Array): { data: Uint8Array; commands: EscapeCommand[] } {
    const parts = this.split(chunk);
    const data = parts.filter((p): p is Uint8Array => typeof p !== "string");
    const bytes = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of data) { bytes.set(d, at); at += d.length; }
    return { data: bytes, commands: parts.filter((p): p is EscapeCommand => typeof p === "string") };
  }
}

export const ESCAPE_HELP = [
  "C-a h    print this help",
  "C-a x    exit emulator",
  "C-a c    switch between console and monitor",
  "C-a b    send break (not supported yet)",
  "C-a C-a  send C-a",
].join("\r\n");

/** The subset of process.stdin the backend uses (a TTY has setRawMode). */
export type InputStream = Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };

/** Guest serial on the process's stdin/stdout. */
export class StdioCharBackend implements CharBackend {
  private readonly _input = new Emitter<Uint8Array>();
  private readonly _exit = new Emitter<void>();
  private readonly _monitorKey = new Emitter<void>();
  private readonly _filter = new EscapeFilter();
  private readonly _onData = (chunk: Buffer): void => this._receive(chunk);
  private _rawModeSet = false;
  readonly onInput: Event<Uint8Array> = this._input.event;
  /** Fires when the user types C-a x. */
  readonly onExitRequest: Event<void> = this._exit.event;
  /** Fires when the user types C-a c (the stdio monitor toggles its focus). */
  readonly onMonitorKey: Event<void> = this._monitorKey.event;
  /**
   * Where typed bytes go instead of the guest (the monitor while it has the focus);
   * undefined: to the guest. Ctrl-A escapes work either way.
   */
  inputTarget: ((bytes: Uint8Array) => void) | undefined;
  /** Whether stdin is a terminal (put in raw mode: nothing echoes what is typed). */
  readonly isTty: boolean;

  constructor(private readonly _in: InputStream, private readonly _out: Writable) {
    this.isTty = _in.isTTY === true;
    if (_in.isTTY && _in.setRawMode) {
      _in.setRawMode(true);
      this._rawModeSet = true;
    }
    _in.on("data", this._onData);
  }

  write(bytes: Uint8Array): void {
    this._out.write(bytes);
  }

  /** Text for the terminal (the monitor's output). */
  writeText(text: string): void {
    this._out.write(text);
  }

  private _receive(chunk: Uint8Array): void {
    for (const part of this._filter.split(chunk)) {
      if (typeof part !== "string") {
        if (this.inputTarget) this.inputTarget(part);
        else this._input.fire(part);
      } else if (part === "exit") this._exit.fire();
      else if (part === "help") this._out.write(`\r\n${ESCAPE_HELP}\r\n`);
      else if (part === "monitor") this._monitorKey.fire();
    }
  }

  dispose(): void {
    this._in.off("data", this._onData);
    this._in.pause();
    if (this._rawModeSet) this._in.setRawMode?.(false);
    this._input.dispose();
    this._exit.dispose();
    this._monitorKey.dispose();
  }
}

/** Guest serial output appended to a file (QEMU `-serial file:PATH`); no input. */
export class FileCharBackend implements CharBackend {
  private readonly _input = new Emitter<Uint8Array>();
  private _fd: number | undefined;
  readonly onInput: Event<Uint8Array> = this._input.event;

  constructor(readonly path: string) {
    try {
      this._fd = openSync(path, "w");
    } catch (e) {
      throw new ConfigError(`-serial file:${path}: cannot open: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  write(bytes: Uint8Array): void {
    if (this._fd !== undefined) writeSync(this._fd, bytes);
  }

  dispose(): void {
    if (this._fd !== undefined) closeSync(this._fd);
    this._fd = undefined;
    this._input.dispose();
  }
}

/** Builds the backend a `-serial` option names. */
export function createCharBackend(spec: SerialBackend, stdio: { stdin: InputStream; stdout: Writable }): CharBackend {
  switch (spec.kind) {
    case "stdio": return new StdioCharBackend(stdio.stdin, stdio.stdout);
    case "file": return new FileCharBackend(spec.path);
    case "null": return new NullCharBackend();
  }
}
