/**
 * A serial port as the library exposes it: the UART's character backend on one side, and on
 * the host side onData / write / the output so far (bytes and UTF-8 text, decoded lazily so a
 * harness that polls `text` after every slice does not re-decode the whole log).
 */

import { Emitter, type Event } from "../common/lifecycle.js";
import type { CharBackend } from "../devices/char-backend.js";
import type { SerialPort } from "./types.js";

export class ApiSerialPort implements SerialPort {
  private readonly _input = new Emitter<Uint8Array>();
  private readonly _data = new Emitter<Uint8Array>();
  /** Exceptions thrown by onData listeners (they run inside the guest's OUT): run() rethrows them. */
  readonly listenerErrors: unknown[] = [];
  readonly onData: Event<Uint8Array> = (listener) => this._data.event((bytes) => {
    try {
      listener(bytes);
    } catch (e) {
      this.listenerErrors.push(e);
    }
  });
  private readonly _chunks: Uint8Array[] = [];
  private _length = 0;
  /** Chunks [0, _decoded) are in _text. */
  private _decoded = 0;
  private _text = "";
  private readonly _decoder = new TextDecoder("utf-8");
  /** Index in `text` where the next run({ until }) search starts: the end of the previous match. */
  cursor = 0;
  /** Called after every host write (the run loop wakes up from an idle wait). */
  onHostWrite: () => void = () => {};

  /** The UART's side: its transmitted bytes come in through `write`, host input goes out on `onInput`. */
  readonly backend: CharBackend = {
    write: (bytes) => this._transmit(bytes),
    onInput: this._input.event,
    dispose: () => {},
  };

  /** Host -> guest. */
  write(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (bytes.length === 0) return;
    this._input.fire(bytes.slice());
    this.onHostWrite();
  }

  /** Guest -> host: what the UART transmitted. */
  private _transmit(bytes: Uint8Array): void {
    const copy = bytes.slice();
    this._chunks.push(copy);
    this._length += copy.length;
    this._data.fire(copy);
  }

  get text(): string {
    const c = this._chunks;
    for (; this._decoded < c.length; this._decoded++) this._text += this._decoder.decode(c[this._decoded], { stream: true });
    return this._text;
  }

  /** Length of everything transmitted, bytes (cheap; `bytes` copies). */
  get byteLength(): number { return this._length; }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this._length);
    let at = 0;
    for (const c of this._chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  dispose(): void {
    this._input.dispose();
    this._data.dispose();
  }
}
