/**
 * Disposable resources and typed events (the xterm.js shape). Every timer, listener,
 * binaryen module and host handle a machine owns is registered on a Disposable so that
 * `machine.dispose()` releases everything; test harnesses create hundreds of machines.
 */

export interface IDisposable {
  dispose(): void;
}

export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return { dispose: () => { if (!done) { done = true; fn(); } } };
}

/** Base class that owns child disposables and releases them in reverse order. */
export class Disposable implements IDisposable {
  private readonly _owned: IDisposable[] = [];
  private _disposed = false;

  get isDisposed(): boolean { return this._disposed; }

  protected _register<T extends IDisposable>(d: T): T {
    if (this._disposed) d.dispose();
    else this._owned.push(d);
    return d;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (let i = this._owned.length - 1; i >= 0; i--) this._owned[i]!.dispose();
    this._owned.length = 0;
  }
}

export type Event<T> = (listener: (e: T) => void) => IDisposable;

/** A typed event source: `emitter.event` is handed out, `fire` stays private to the owner. */
export class Emitter<T> implements IDisposable {
  private _listeners: ((e: T) => void)[] = [];

  readonly event: Event<T> = (listener) => {
    this._listeners.push(listener);
    return toDisposable(() => {
      this._listeners = this._listeners.filter((l) => l !== listener);
    });
  };

  get hasListeners(): boolean { return this._listeners.length > 0; }

  fire(e: T): void {
    for (const l of this._listeners) l(e);
  }

  dispose(): void { this._listeners = []; }
}
