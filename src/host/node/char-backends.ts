/**
 * Node character backends for `-serial` (QEMU chardevs): stdio, file, null and (in
 * socket-backend.ts) listening TCP/unix sockets, behind the core's CharBackend interface
 * (src/devices/char-backend.ts). The stdio backend puts a TTY
 * in raw mode (so ^C reaches the guest, as with QEMU -nographic) and understands QEMU's
 * Ctrl-A escapes: `C-a x` exits, `C-a h` prints help, `C-a C-a` sends a literal C-a.
 */

import { closeSync, openSync, writeSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { Emitter, type Event } from "../../common/lifecycle.js";
import { ConfigError } from "../../common/errors.js";
import { NullCharBackend, type CharBackend } from "../../devices/char-backend.js";
import type { SerialBackend } from "./args.js";
import { SocketCharBackend } from "./socket-backend.js";

const CTRL_A = 0x01;

export type EscapeCommand = "exit" | "help" | "break";

/** Splits host input into bytes for the guest and Ctrl-A escape commands (QEMU mux keys). */
export class EscapeFilter {
  private _pendingEscape = false;

  /** Returns the guest bytes of `chunk` and the commands typed in it, in order. */
  feed(chunk: Uint8Array): { data: Uint8Array; commands: EscapeCommand[] } {
    const data: number[] = [];
    const commands: EscapeCommand[] = [];
    for (const b of chunk) {
      if (!this._pendingEscape) {
        if (b === CTRL_A) this._pendingEscape = true;
        else data.push(b);
        continue;
      }
      this._pendingEscape = false;
      const key = String.fromCharCode(b).toLowerCase();
      if (b === CTRL_A) data.push(CTRL_A);
      else if (key === "x") commands.push("exit");
      else if (key === "h" || key === "?") commands.push("help");
      else if (key === "b") commands.push("break");
      // Other keys (QEMU: c monitor, s sync, t timestamps) are ignored.
    }
    return { data: Uint8Array.from(data), commands };
  }
}

export const ESCAPE_HELP = [
  "C-a h    print this help",
  "C-a x    exit emulator",
  "C-a b    send break (not supported yet)",
  "C-a C-a  send C-a",
].join("\r\n");

/** The subset of process.stdin the backend uses (a TTY has setRawMode). */
export type InputStream = Readable & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };

/** Guest serial on the process's stdin/stdout. */
export class StdioCharBackend implements CharBackend {
  private readonly _input = new Emitter<Uint8Array>();
  private readonly _exit = new Emitter<void>();
  private readonly _filter = new EscapeFilter();
  private readonly _onData = (chunk: Buffer): void => this._receive(chunk);
  private _rawModeSet = false;
  readonly onInput: Event<Uint8Array> = this._input.event;
  /** Fires when the user types C-a x. */
  readonly onExitRequest: Event<void> = this._exit.event;

  constructor(private readonly _in: InputStream, private readonly _out: Writable) {
    if (_in.isTTY && _in.setRawMode) {
      _in.setRawMode(true);
      this._rawModeSet = true;
    }
    _in.on("data", this._onData);
  }

  write(bytes: Uint8Array): void {
    this._out.write(bytes);
  }

  private _receive(chunk: Uint8Array): void {
    const { data, commands } = this._filter.feed(chunk);
    if (data.length) this._input.fire(data);
    for (const c of commands) {
      if (c === "exit") this._exit.fire();
      else if (c === "help") this._out.write(`\r\n${ESCAPE_HELP}\r\n`);
    }
  }

  dispose(): void {
    this._in.off("data", this._onData);
    this._in.pause();
    if (this._rawModeSet) this._in.setRawMode?.(false);
    this._input.dispose();
    this._exit.dispose();
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
    case "socket": return new SocketCharBackend({ address: spec.address, wait: spec.wait });
  }
}
