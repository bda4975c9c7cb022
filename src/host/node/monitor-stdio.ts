/**
 * The monitor on the process's stdio (`-monitor stdio`, and QEMU's `mon:stdio` multiplexing
 * that -nographic implies): a line editor feeding src/monitor's Monitor, with the `(qemu) `
 * prompt. It reads through the StdioCharBackend, which owns stdin (raw mode, Ctrl-A escapes):
 * while the monitor has the focus the backend hands it the typed bytes instead of the guest.
 * Multiplexed, `C-a c` moves the focus between the console and the monitor; alone on stdio,
 * the monitor always has it. Output uses CRLF line ends (as QEMU's monitor does).
 */

import type { IDisposable } from "../../common/lifecycle.js";
import type { Monitor } from "../../monitor/monitor.js";
import type { StdioCharBackend } from "./char-backends.js";

declare const __TSEMU_VERSION__: string | undefined;
const VERSION = typeof __TSEMU_VERSION__ === "string" ? __TSEMU_VERSION__ : "dev";

export const PROMPT = "(qemu) ";

export interface StdioMonitorOptions {
  /** Console and monitor share stdio: C-a c switches. */
  multiplexed: boolean;
  /** Give the monitor the focus at start (else the console has it). */
  startFocused: boolean;
  /** True once a command asked the emulator to end (no prompt after `quit`). */
  ending?: () => boolean;
}

/** Line editing: printable characters, backspace, Enter (CR, LF or CRLF); escape sequences are skipped. */
class LineEditor {
  private _line = "";
  private _lastWasCr = false;
  private _escape = 0; // 0 none, 1 after ESC, 2 inside CSI

  constructor(private readonly _echo: (s: string) => void, private readonly _enter: (line: string) => void) {}

  feed(bytes: Uint8Array): void {
    for (const b of bytes) {
      const wasCr = this._lastWasCr;
      this._lastWasCr = b === 0x0d;
      if (this._escape === 1) { this._escape = b === 0x5b || b === 0x4f ? 2 : 0; continue; }
      if (this._escape === 2) { if (b >= 0x40 && b <= 0x7e) this._escape = 0; continue; }
      if (b === 0x1b) { this._escape = 1; continue; }
      if (b === 0x0a && wasCr) continue; // CRLF: one Enter
      if (b === 0x0d || b === 0x0a) {
        const line = this._line;
        this._line = "";
        this._echo("\r\n");
        this._enter(line);
      } else if (b === 0x7f || b === 0x08) {
        if (this._line.length) {
          this._line = this._line.slice(0, -1);
          this._echo("\b \b");
        }
      } else if (b >= 0x20 && b < 0x7f) {
        this._line += String.fromCharCode(b);
        this._echo(String.fromCharCode(b));
      }
    }
  }
}

export class StdioMonitor implements IDisposable {
  private readonly _editor: LineEditor;
  private readonly _subscription: IDisposable | undefined;
  private _focused = false;
  private _greeted = false;
  private readonly _ending: () => boolean;

  constructor(private readonly _stdio: StdioCharBackend, private readonly _monitor: Monitor, opts: StdioMonitorOptions) {
    // A terminal in raw mode does not echo; piped input is not echoed back.
    this._ending = opts.ending ?? (() => false);
    const echo = _stdio.isTty ? (s: string) => _stdio.writeText(s) : () => {};
    this._editor = new LineEditor(echo, (line) => this._run(line));
    if (opts.multiplexed) this._subscription = _stdio.onMonitorKey(() => (this._focused ? this._leave() : this._enter(true)));
    if (opts.startFocused || !opts.multiplexed) this._enter(false);
  }

  get focused(): boolean { return this._focused; }

  /** Give the monitor the focus; `newLine`: start on a fresh line (switched from the console). */
  private _enter(newLine: boolean): void {
    this._focused = true;
    this._stdio.inputTarget = (bytes) => this._editor.feed(bytes);
    if (newLine) this._write("\n");
    if (!this._greeted) {
      this._greeted = true;
      this._write(`tsemu ${VERSION} monitor - type 'help' for more information\n`);
    }
    this._write(PROMPT);
  }

  private _leave(): void {
    this._focused = false;
    this._stdio.inputTarget = undefined;
    this._write("\n");
  }

  private _run(line: string): void {
    const out = this._monitor.execute(line);
    this._write(out);
    if (this._focused && !this._ending()) this._write(PROMPT);
  }

  private _write(text: string): void {
    this._stdio.writeText(text.replace(/\r?\n/g, "\r\n"));
  }

  dispose(): void {
    this._subscription?.dispose();
    if (this._focused) this._stdio.inputTarget = undefined;
  }
}
