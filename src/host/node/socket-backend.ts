/**
 * `-serial tcp:HOST:PORT,server=on[,wait=off]` and `-serial unix:PATH,server=on[,wait=off]`:
 * the guest's serial port on a listening socket, as QEMU's socket chardev in server mode. One
 * client at a time (later ones are closed until it leaves); guest output while nobody is
 * connected is dropped. With wait=on (QEMU's default for a server) `ready` resolves only when
 * the first client has connected, so the guest starts with someone listening; with wait=off
 * it resolves once the socket listens. `ready` rejects with a ConfigError when the socket
 * cannot be opened (address in use, bad path).
 */

import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { ConfigError } from "../../common/errors.js";
import { Emitter, type Event } from "../../common/lifecycle.js";
import type { CharBackend } from "../../devices/char-backend.js";

export type SocketAddress = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

export interface SocketServerSpec {
  address: SocketAddress;
  /** Wait for the first client before the guest runs (QEMU wait=on). */
  wait: boolean;
}

export function describeSocketAddress(a: SocketAddress): string {
  return a.kind === "tcp" ? `tcp:${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}` : `unix:${a.path}`;
}

export class SocketCharBackend implements CharBackend {
  private readonly _input = new Emitter<Uint8Array>();
  private readonly _connected = new Emitter<boolean>();
  private readonly _server: Server;
  private _client: Socket | undefined;
  private _disposed = false;
  readonly onInput: Event<Uint8Array> = this._input.event;
  /** Fires true when a client connects, false when it leaves. */
  readonly onConnectionChange: Event<boolean> = this._connected.event;
  /** Resolves when the guest may start (listening, or the first client with wait=on). */
  readonly ready: Promise<void>;

  constructor(readonly spec: SocketServerSpec) {
    const where = describeSocketAddress(spec.address);
    this._server = createServer((s) => this._accept(s));
    this.ready = new Promise<void>((resolve, reject) => {
      this._server.once("error", (e) => reject(new ConfigError(`-serial ${where}: cannot listen: ${e.message}`)));
      const listening = (): void => {
        this._server.on("error", () => {}); // later errors: the client handler reports them
        if (!spec.wait) resolve();
        else this._connected.event((up) => { if (up) resolve(); });
      };
      const a = spec.address;
      if (a.kind === "tcp") this._server.listen(a.port, a.host === "" ? undefined : a.host, listening);
      else {
        removeStaleSocket(a.path);
        this._server.listen(a.path, listening);
      }
    });
    this.ready.catch(() => {}); // callers await it; an unobserved rejection must not crash the host
  }

  /** The bound TCP port (useful with port 0), or undefined for a unix socket. */
  get port(): number | undefined {
    const a = this._server.address();
    return a !== null && typeof a === "object" ? (a as AddressInfo).port : undefined;
  }

  get connected(): boolean { return this._client !== undefined; }

  write(bytes: Uint8Array): void {
    if (this._client && !this._client.destroyed) this._client.write(bytes);
  }

  private _accept(s: Socket): void {
    if (this._client || this._disposed) {
      s.destroy();
      return;
    }
    this._client = s;
    s.setNoDelay(true);
    s.on("data", (chunk: Buffer) => this._input.fire(new Uint8Array(chunk)));
    s.on("error", () => s.destroy());
    s.on("close", () => {
      if (this._client !== s) return;
      this._client = undefined;
      this._connected.fire(false);
    });
    this._connected.fire(true);
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._client?.destroy();
    this._client = undefined;
    this._server.close();
    this._input.dispose();
    this._connected.dispose();
  }
}

/** A socket file left by an earlier run would make listen() fail; QEMU removes it too. */
function removeStaleSocket(path: string): void {
  try {
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // listen() reports what is wrong with the path
  }
}

/**
 * Parses the part after `tcp:` or `unix:` of a socket chardev: `HOST:PORT` or `PATH`, then
 * comma options `server[=on|off]`, `wait=on|off`, `nowait` (QEMU's old spellings included),
 * `nodelay[=on|off]` (accepted; sockets always send at once). Server mode is required.
 */
export function parseSocketSpec(kind: "tcp" | "unix", rest: string, flag = "-serial"): SocketServerSpec {
  const what = `${flag} ${kind}:${rest}`;
  const fail = (msg: string): never => { throw new ConfigError(`${what}: ${msg}`); };
  const parts = rest.split(",");
  const target = parts.shift() ?? "";
  let address: SocketAddress;
  if (kind === "tcp") {
    const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(target);
    const port = Number(m?.[3]);
    if (!m || !Number.isInteger(port) || port < 1 || port > 65535) return fail("expected HOST:PORT with a port of 1..65535");
    address = { kind: "tcp", host: m[1] ?? m[2] ?? "", port };
  } else {
    if (target === "") return fail("expected a socket path");
    address = { kind: "unix", path: target };
  }
  const onOff = (v: string | undefined, key: string): boolean => {
    if (v === undefined || v === "on" || v === "yes" || v === "true") return true;
    if (v === "off" || v === "no" || v === "false") return false;
    return fail(`${key}=${v}: expected on or off`);
  };
  let server = false;
  let wait = true;
  for (const p of parts) {
    const [key, value] = p.split("=", 2) as [string, string | undefined];
    if (key === "server") server = onOff(value, key);
    else if (key === "wait") wait = onOff(value, key);
    else if (key === "nowait" && value === undefined) wait = false;
    else if (key === "nodelay") onOff(value, key);
    else fail(`unsupported option '${p}' (supported: server=on, wait=on|off, nodelay)`);
  }
  if (!server) fail("only server mode is supported (add ,server=on,wait=off)");
  return { address, wait };
}
