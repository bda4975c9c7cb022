/**
 * Drives a GdbStub without sockets, for tests: packets in, reply payloads out (acks dropped),
 * a fake run control standing for the host, and `drive`, the host's run loop in miniature
 * (stop on "debug" and tell the stub; an exit is reported to it).
 */
import type { Machine } from "../../src/machine/machine.js";
import { encodePacket } from "../../src/gdb/packet.js";
import { GdbStub, type GdbRunControl } from "../../src/gdb/stub.js";

export const hex32 = (v: number): string => [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, "0")).join("");
/** A 64-bit register value (a safe integer, possibly negative) as gdb's little-endian hex. */
export const hex64 = (v: number): string => hex32(v) + hex32(Math.floor(v / 2 ** 32));

export class FakeControl implements GdbRunControl {
  running = true;
  calls: string[] = [];
  stop(): void { this.running = false; this.calls.push("stop"); }
  cont(): void { this.running = true; this.calls.push("cont"); }
  quit(code: number): void { this.calls.push(`quit ${code}`); }
}

export interface StubHarness {
  m: Machine; ctl: FakeControl; stub: GdbStub; sent: string[];
  /** Send a packet; its reply (undefined: none yet). */
  cmd: (p: string) => string | undefined;
  /** Send raw bytes; every packet sent back. */
  raw: (b: Uint8Array) => string[];
  /** The host loop until the guest stops or exits. */
  drive: () => void;
}

export function stubHarness(m: Machine, monitor?: (line: string) => string): StubHarness {
  const ctl = new FakeControl();
  const out: string[] = [];
  const stub = new GdbStub(m, ctl, (d) => out.push(d), monitor);
  stub.attach();
  /** Payloads of the packets sent so far (acks dropped), consumed. */
  const sent: string[] = [];
  const collect = (): void => {
    for (const d of out.splice(0)) {
      if (d === "+" || d === "-") continue;
      const mm = /^\$(.*)#([0-9a-f]{2})$/s.exec(d);
      if (!mm) throw new Error(`not a packet: ${d}`);
      sent.push(mm[1]!);
    }
  };
  const cmd = (p: string): string | undefined => {
    stub.receive(Uint8Array.from(encodePacket(p), (c) => c.charCodeAt(0)));
    collect();
    return sent.shift();
  };
  const raw = (b: Uint8Array): string[] => {
    stub.receive(b);
    collect();
    return sent.splice(0);
  };
  const drive = (): void => {
    for (let i = 0; i < 1000 && ctl.running; i++) {
      const r = m.runSlice(100_000);
      if (r.kind === "debug") { ctl.stop(); stub.debugStop(m.cpu.debug.stopCause); }
      if (r.kind === "exit") { stub.exited(r.exitCode); break; }
    }
    collect();
  };
  return { m, ctl, stub, sent, cmd, raw, drive };
}

