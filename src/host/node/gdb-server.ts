/**
 * `-gdb tcp:HOST:PORT` / `-s`: the gdbstub (src/gdb) on a listening TCP socket. One gdb at a
 * time (a second connection is closed while the first lasts). An empty host listens on
 * 127.0.0.1 only (QEMU listens on every interface; a debugger that can write guest memory
 * should not be reachable from the network unless asked for). Port 0 picks a free port,
 * which `port` tells (the CLI prints it). gdb's `monitor CMD` runs monitor commands.
 */

import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { ConfigError } from "../../common/errors.js";
import type { DebugStopCause } from "../../cpu/debug.js";
import type { Machine } from "../../machine/machine.js";
import { GdbStub, type GdbRunControl } from "../../gdb/stub.js";
import { Monitor } from "../../monitor/monitor.js";

export class GdbServer {
  private readonly _server: Server;
  private _client: Socket | undefined;
  private _stub: GdbStub | undefined;
  /** Resolves once listening; rejects with a ConfigError when the address cannot be used. */
  readonly ready: Promise<void>;

  /** For gdb's `monitor CMD`. */
  private readonly _monitor: Monitor;

  constructor(address: { host: string; port: number }, private readonly _machine: Machine, private readonly _control: GdbRunControl) {
    this._monitor = new Monitor(_machine, _control);
    this._server = createServer((s) => this._accept(s));
    const host = address.host === "" ? "127.0.0.1" : address.host;
    this.ready = new Promise<void>((resolve, reject) => {
      this._server.once("error", (e) => reject(new ConfigError(`-gdb tcp:${address.host}:${address.port}: cannot listen: ${e.message}`)));
      this._server.listen(address.port, host, () => {
        this._server.on("error", () => {});
        resolve();
      });
    });
    this.ready.catch(() => {}); // the CLI awaits it
  }

  /** The bound port (the chosen one for port 0). */
  get port(): number {
    return (this._server.address() as AddressInfo).port;
  }

  /** The run loop stopped for the debugger. */
  debugStop(cause: DebugStopCause): void {
    this._stub?.debugStop(cause);
  }

  /** The guest ended: tell a waiting gdb (W packet). */
  exited(exitCode: number): void {
    this._stub?.exited(exitCode);
  }

  private _accept(s: Socket): void {
    if (this._client) {
      s.destroy();
      return;
    }
    this._client = s;
    s.setNoDelay(true);
    const send = (data: string): void => { if (!s.destroyed) s.write(Buffer.from(data, "latin1")); };
    const stub = new GdbStub(this._machine, this._control, send, (line) => this._monitor.execute(line));
    this._stub = stub;
    stub.attach();
    s.on("data", (chunk: Buffer) => stub.receive(new Uint8Array(chunk)));
    s.on("error", () => s.destroy());
    s.on("close", () => {
      if (this._client !== s) return;
      this._client = undefined;
      this._stub = undefined;
      stub.detach();
    });
  }

  /** Close the listening socket and the connection (after flushing what was written). */
  dispose(): void {
    this._client?.end();
    this._client = undefined;
    this._stub = undefined;
    this._server.close();
  }
}
