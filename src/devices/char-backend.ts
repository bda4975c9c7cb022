/**
 * Character backends: where a UART's (or virtio-console's) bytes go and come from (QEMU
 * chardev). The device writes transmitted bytes with `write()` and subscribes to `onInput`
 * for bytes typed by the host. Only host-neutral backends live here (null, memory capture);
 * stdio, file and socket backends belong to the host adapters.
 */

import { Emitter, type Event, type IDisposable } from "../common/lifecycle.js";

export interface CharBackend extends IDisposable {
  /** Bytes sent by the guest (device transmit). */
  write(bytes: Uint8Array): void;
  /** Bytes arriving from the host for the guest (device receive). */
  readonly onInput: Event<Uint8Array>;
}

/** Discards output, never produces input. */
export class NullCharBackend implements CharBackend {
  private readonly _input = new Emitter<Uint8Array>();
  readonly onInput: Event<Uint8Array> = this._input.event;
  write(_bytes: Uint8Array): void {}
  dispose(): void { this._input.dispose(); }
}

/** Captures output in memory and lets tests (or an embedder) inject input with `receive()`. */
export class MemoryCharBackend implements CharBackend {
  private readonly _input = new Emitter<Uint8Array>();
  private readonly _output = new Emitter<Uint8Array>();
  private _bytes: number[] = [];
  /** Latin-1 text of _bytes[0 .. _textBytes), extended on demand. */
  private _text = "";
  private _textBytes = 0;
  readonly onInput: Event<Uint8Array> = this._input.event;
  /** Fires with every chunk the guest writes. */
  readonly onOutput: Event<Uint8Array> = this._output.event;

  write(bytes: Uint8Array): void {
    for (const b of bytes) this._bytes.push(b);
    this._output.fire(bytes);
  }

  /** Push host input toward the device. */
  receive(bytes: Uint8Array | string): void {
    this._input.fire(typeof bytes === "string" ? Uint8Array.from(bytes, (c) => c.charCodeAt(0) & 0xff) : bytes);
  }

  /** Everything written so far. */
  get output(): Uint8Array { return Uint8Array.from(this._bytes); }

  /**
   * Output decoded as Latin-1 text. Decoded incrementally in chunks: boot tests read it after
   * every slice, and one spread of the whole output would overflow the call stack on long logs.
   */
  get text(): string {
    const b = this._bytes;
    for (let i = this._textBytes; i < b.length; i += 4096) this._text += String.fromCharCode(...b.slice(i, Math.min(i + 4096, b.length)));
    this._textBytes = b.length;
    return this._text;
  }

  clear(): void { this._bytes = []; this._text = ""; this._textBytes = 0; }

  dispose(): void {
    this._input.dispose();
    this._output.dispose();
  }
}
