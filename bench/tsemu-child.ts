/**
 * One tsemu run in a fresh Node process (bundled by bench/run.mjs into bench/.build/).
 * argv[2] is a JSON TsemuJob. The guest's COM1 bytes go to stdout as they are written (the
 * parent timestamps marker lines with hrtime, exactly as it does for QEMU, v86 and native);
 * when the run ends, a TsemuReport is written as JSON to job.reportFile.
 */
import { readFileSync, writeFileSync, writeSync } from "node:fs";
import { createPcMachine } from "../src/machine/pc.js";
import { MemoryCharBackend } from "../src/devices/char-backend.js";
import type { LogCategory } from "../src/common/log.js";

interface TsemuJob {
  kernel: string;
  initrd?: string;
  cmdline: string;
  memoryMiB: number;
  timeoutSec: number;
  /** Stop as soon as a console line contains this (guests that cannot exit on their own). */
  stopMarker?: string;
  reportFile: string;
}

interface TsemuReport {
  outcome: "exit" | "timeout" | "halted" | "error" | "stopped-at-marker";
  detail: string;
  exitCode?: number;
  /** ms: building the machine (kernel load, tables) and running guest code. */
  setupMs: number;
  runMs: number;
  stats: Record<string, Record<string, number>>;
  /** unimp / guest_error log lines (the first ones, deduplicated). */
  log: string[];
  maxRssKiB: number;
  kernelFormat?: string;
  /** Guest RIP when the run ended (hex), to say where a stuck guest is. */
  rip?: string;
  /** Distinct RIPs at the end of the last slices (hex, newest last): where a stuck guest loops. */
  recentRips?: string[];
  /** COM1 bytes the guest transmitted, and the last of them (to check what reached stdout). */
  serialBytes?: number;
  serialTail?: string;
}

const job = JSON.parse(process.argv[2] ?? "{}") as TsemuJob;
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const logLines: string[] = [];
const seen = new Set<string>();
const logSink = (cat: LogCategory, message: string): void => {
  const line = `${cat}: ${message}`;
  if (seen.has(line) || logLines.length >= 40) return;
  seen.add(line);
  logLines.push(line);
};

const serial = new MemoryCharBackend();
let lineBuf = "";
let markerSeen = false;
/**
 * Console bytes to fd 1 synchronously: process.stdout.write on a pipe queues once the pipe is
 * full, and the queue only drains when the event loop runs, which this loop never lets happen
 * (the parent's timestamps would be late, and process.exit drops what is queued).
 */
function writeOut(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try { off += writeSync(1, bytes, off, bytes.length - off); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
    }
  }
}
serial.onOutput((bytes) => {
  writeOut(bytes);
  if (job.stopMarker === undefined || markerSeen) return;
  lineBuf += Buffer.from(bytes).toString("latin1");
  if (lineBuf.includes(job.stopMarker)) markerSeen = true;
  const nl = lineBuf.lastIndexOf("\n");
  if (nl >= 0) lineBuf = lineBuf.slice(nl + 1);
});

function hex64(v: number): string {
  return `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
}

function numbers(o: object): Record<string, number> {
  const r: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === "number") r[k] = v;
  return r;
}

const report: TsemuReport = { outcome: "error", detail: "", setupMs: 0, runMs: 0, stats: {}, log: logLines, maxRssKiB: 0 };
const t0 = now();
let t1 = t0;
let machine: ReturnType<typeof createPcMachine> | undefined;
try {
  machine = createPcMachine({
    kernel: readFileSync(job.kernel),
    initrd: job.initrd ? readFileSync(job.initrd) : undefined,
    cmdline: job.cmdline,
    memoryBytes: job.memoryMiB * 1024 * 1024,
    serial,
    clock: { mode: "deterministic" },
    noReboot: true,
    logSink,
    nowMs: () => performance.now(),
  });
  report.kernelFormat = machine.kernelFormat;
  t1 = now();
  const deadline = t1 + job.timeoutSec * 1000;
  const recent: number[] = [];
  report.recentRips = [];
  for (;;) {
    const r = machine.runSlice(200_000);
    const rip = machine.cpu.state.rip;
    if (!recent.includes(rip)) { recent.push(rip); if (recent.length > 8) recent.shift(); }
    report.recentRips = recent.map(hex64);
    if (r.kind === "exit") { report.outcome = "exit"; report.exitCode = r.exitCode; report.detail = r.reason; break; }
    if (r.kind === "idle" && r.untilNs === Infinity) { report.outcome = "halted"; report.detail = "CPU halted with nothing pending"; break; }
    if (markerSeen) { report.outcome = "stopped-at-marker"; report.detail = `saw ${job.stopMarker}`; break; }
    if (now() > deadline) { report.outcome = "timeout"; report.detail = `still running after ${job.timeoutSec} s`; break; }
  }
} catch (e) {
  report.outcome = "error";
  report.detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
const t2 = now();
report.setupMs = t1 - t0;
report.runMs = t2 - t1;
if (machine) {
  const cpu = machine.cpu;
  report.stats = {
    cpu: numbers(cpu.stats),
    backend: numbers(cpu.backend.stats),
    tlb: numbers(cpu.softmmu.tlb.stats),
    tbs: numbers(cpu.tbs.stats),
    jit: numbers(cpu.jitStats()), // info jit's figures (counts kept in generated code are off: null, dropped)
  };
  try { report.rip = hex64(cpu.state.rip); } catch { /* state layout changed under us */ }
}
const out = serial.output;
report.serialBytes = out.length;
report.serialTail = Buffer.from(out.subarray(Math.max(0, out.length - 300))).toString("latin1");
report.maxRssKiB = process.resourceUsage().maxRSS;
writeFileSync(job.reportFile, JSON.stringify(report));
process.exit(0);
