/**
 * The two host services the run loop needs, found on globalThis (Node and every browser have
 * them) without declaring host types in the core: a macrotask yield and a timed sleep.
 */

interface HostTimers {
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate?: (cb: () => void) => unknown;
}

const host = globalThis as unknown as HostTimers;

/** Let the event loop run (I/O, timers, other machines); setImmediate where it exists, it does not clamp to 1 ms. */
export function yieldToHost(): Promise<void> {
  return new Promise((res) => {
    if (typeof host.setImmediate === "function") host.setImmediate(res);
    else host.setTimeout(res, 0);
  });
}

/** Resolve after `ms`, or as soon as `wake` is called (whichever comes first). */
export function sleep(ms: number): { done: Promise<void>; wake: () => void } {
  let wake = (): void => {};
  const done = new Promise<void>((res) => {
    const h = host.setTimeout(() => wake(), Math.max(0, ms));
    wake = () => { host.clearTimeout(h); res(); };
  });
  return { done, wake };
}
