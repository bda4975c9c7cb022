/**
 * Tests of the socket serial backend (loopback and a temporary unix socket only): option
 * parsing with QEMU's new and old spellings, a client seeing guest output and sending input,
 * one client at a time, wait=on, a busy address as a ConfigError, and the whole CLI with a
 * bare multiboot guest that echoes COM1 input over TCP.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../common/errors.js";
import { multibootEcho } from "../../../test/helpers/multiboot-hello.js";
import { parseArgs } from "./args.js";
import { main } from "./cli.js";
import { parseSocketSpec, SocketCharBackend } from "./socket-backend.js";

const dir = mkdtempSync(join(tmpdir(), "tsemu-sock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

/** Connects to a backend and collects what arrives; `until` resolves once `s` was received. */
function client(opts: { port: number } | { path: string }): Promise<{ sock: Socket; received: () => string; until: (s: string) => Promise<void> }> {
  return new Promise((resolve, reject) => {
    let got = "";
    const waiters: (() => void)[] = [];
    const sock = "port" in opts ? createConnection(opts.port, "127.0.0.1") : createConnection(opts.path);
    sock.on("data", (d: Buffer) => { got += d.toString("latin1"); waiters.splice(0).forEach((w) => w()); });
    sock.once("error", reject);
    sock.once("connect", () => resolve({
      sock,
      received: () => got,
      until: (s) => new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`timed out waiting for ${JSON.stringify(s)}; got ${JSON.stringify(got)}`)), 20_000);
        const check = (): void => { if (got.includes(s)) { clearTimeout(timer); res(); } else waiters.push(check); };
        check();
      }),
    }));
  });
}

const nextInput = (be: SocketCharBackend): Promise<string> => new Promise((res) => { const d = be.onInput((b) => { d.dispose(); res(text(b)); }); });
const nextConnection = (be: SocketCharBackend, up: boolean): Promise<void> => new Promise((res) => { const d = be.onConnectionChange((c) => { if (c === up) { d.dispose(); res(); } }); });

describe("parseSocketSpec", () => {
  it("reads QEMU's new and old spellings", () => {
    expect(parseSocketSpec("tcp", "127.0.0.1:4444,server=on,wait=off")).toEqual({ address: { kind: "tcp", host: "127.0.0.1", port: 4444 }, wait: false });
    expect(parseSocketSpec("tcp", ":4444,server,nowait")).toEqual({ address: { kind: "tcp", host: "", port: 4444 }, wait: false });
    expect(parseSocketSpec("tcp", "[::1]:5,server=on")).toEqual({ address: { kind: "tcp", host: "::1", port: 5 }, wait: true });
    expect(parseSocketSpec("unix", "/tmp/s.sock,server=on,wait=off,nodelay")).toEqual({ address: { kind: "unix", path: "/tmp/s.sock" }, wait: false });
  });
  it("rejects what it does not support in one line", () => {
    expect(() => parseSocketSpec("tcp", "localhost:4444")).toThrow("-serial tcp:localhost:4444: only server mode is supported (add ,server=on,wait=off)");
    expect(() => parseSocketSpec("tcp", "localhost:99999,server=on")).toThrow(/port of 1\.\.65535/);
    expect(() => parseSocketSpec("tcp", "4444,server=on")).toThrow(/HOST:PORT/);
    expect(() => parseSocketSpec("tcp", "h:1,server=on,telnet=on")).toThrow(/unsupported option 'telnet=on'/);
    expect(() => parseSocketSpec("unix", ",server=on")).toThrow(ConfigError);
    expect(() => parseSocketSpec("tcp", "h:1,server=maybe")).toThrow(/server=maybe: expected on or off/);
  });
  it("is what -serial tcp:/unix: builds", () => {
    const c = parseArgs(["-kernel", "k", "-serial", "tcp:127.0.0.1:4444,server=on,wait=off", "-serial", "unix:/tmp/x,server,nowait"]);
    expect(c.kind === "run" && c.options.serial).toEqual([
      { kind: "socket", address: { kind: "tcp", host: "127.0.0.1", port: 4444 }, wait: false },
      { kind: "socket", address: { kind: "unix", path: "/tmp/x" }, wait: false },
    ]);
  });
});

describe("SocketCharBackend", () => {
  it("TCP: a client sees guest output and sends input; one client at a time; output without a client is dropped", async () => {
    const be = new SocketCharBackend({ address: { kind: "tcp", host: "127.0.0.1", port: 0 }, wait: false });
    try {
      await be.ready;
      be.write(Uint8Array.from([0x41])); // nobody connected: dropped
      const up = nextConnection(be, true);
      const c = await client({ port: be.port! });
      await up;
      be.write(new TextEncoder().encode("login: "));
      await c.until("login: ");
      expect(c.received()).toBe("login: ");
      const input = nextInput(be);
      c.sock.write("root\n");
      expect(await input).toBe("root\n");
      // A second client is closed at once while the first is connected.
      const second = await client({ port: be.port! });
      await new Promise<void>((res) => second.sock.once("close", () => res()));
      const down = nextConnection(be, false);
      c.sock.destroy();
      await down;
      expect(be.connected).toBe(false);
    } finally {
      be.dispose();
    }
  });

  it("unix socket with wait=on: ready only once a client is there; a stale socket file is replaced", async () => {
    const path = join(dir, "serial.sock");
    const first = new SocketCharBackend({ address: { kind: "unix", path }, wait: false });
    await first.ready;
    first.dispose(); // a socket file may be left behind, as after a crash
    const be = new SocketCharBackend({ address: { kind: "unix", path }, wait: true });
    try {
      let ready = false;
      void be.ready.then(() => { ready = true; });
      await new Promise((res) => setTimeout(res, 50));
      expect(ready).toBe(false);
      const c = await client({ path });
      await be.ready;
      be.write(new TextEncoder().encode("hi"));
      await c.until("hi");
      const input = nextInput(be);
      c.sock.write("x");
      expect(await input).toBe("x");
      c.sock.destroy();
    } finally {
      be.dispose();
    }
  });

  it("a busy TCP port makes `ready` reject with a ConfigError", async () => {
    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, "127.0.0.1", res));
    const port = (blocker.address() as { port: number }).port;
    const be = new SocketCharBackend({ address: { kind: "tcp", host: "127.0.0.1", port }, wait: false });
    try {
      await expect(be.ready).rejects.toThrow(new RegExp(`^-serial tcp:127\\.0\\.0\\.1:${port}: cannot listen: .*EADDRINUSE`));
      await expect(be.ready).rejects.toBeInstanceOf(ConfigError);
    } finally {
      be.dispose();
      blocker.close();
    }
  });
});

/** A multiboot guest: prints "ready>", echoes COM1 input in upper case until 'q', exits with 0x21. */
const echoGuest = (): Uint8Array => multibootEcho("ready>", { upperCase: true, quit: { char: "q", exitValue: 0x21 } });

describe("tsemu -serial tcp:...,server=on,wait=on with a guest", () => {
  it("the client sees the guest's output and its input reaches the guest", async () => {
    const { writeFileSync } = await import("node:fs");
    const kernel = join(dir, "echo.elf");
    writeFileSync(kernel, echoGuest());
    // A free loopback port (closed again before tsemu listens on it).
    const probe = createServer();
    await new Promise<void>((res) => probe.listen(0, "127.0.0.1", res));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((res) => probe.close(() => res()));

    let err = "";
    const run = main(["-kernel", kernel, "-m", "32", "-serial", `tcp:127.0.0.1:${port},server=on,wait=on`, "-display", "none"],
      { stdout: () => {}, stderr: (t) => { err += t; } });
    // The guest waits for us: connect (retrying until tsemu listens).
    let c: Awaited<ReturnType<typeof client>> | undefined;
    for (let i = 0; i < 200 && !c; i++) {
      try { c = await client({ port }); } catch { await new Promise((res) => setTimeout(res, 25)); }
    }
    expect(c).toBeDefined();
    try {
      await c!.until("ready>");
      c!.sock.write("hello");
      await c!.until("ready>HELLO");
    } finally {
      c!.sock.write("q"); // the guest's exit: the run ends even when a check above failed
    }
    expect(await run).toBe((0x21 << 1) | 1);
    expect(err).toBe(`tsemu: waiting for connection on tcp:127.0.0.1:${port}\n`);
    c!.sock.destroy();
  }, 60_000);
});
