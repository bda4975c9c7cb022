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

  /** Output decoded as Latin-1 text. */
  get text(): string { return String.fromCharCode(...this._bytes); }

  clear(): void { this._bytes = []; }

  dispose(): void {
    this._input.dispose();
    this._output.dispose();
  }
}
