// `npm run bench` (`node bench/run.mjs [--quick] [--runs N] [--only bare,boot,guest]`):
// tsemu against its peers, every figure a ratio to a peer measured in the same run.
//   bare   the workload of bench/workload/ as a 32-bit multiboot kernel under tsemu,
//          qemu-system-i386 (TCG) and v86, and natively on the host
//   boot   Debian's kernel + the test initramfs to the /init marker, bzImage and PVH, under
//          tsemu and qemu-system-x86_64 (TCG)
//   guest  the workload as a static x86-64 program in the Debian guest, under tsemu and QEMU
//          TCG, and the same binary natively
// Every run is a fresh child process, timed by this process with hrtime from the arrival of
// console marker lines. Writes bench/results/<stamp>.json and .md, and latest.json/latest.md,
// and prints the table. bench/README.md explains every figure.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build as buildWorkload, BUILD_DIR, KERNEL_CFLAGS } from "./build-workload.mjs";
import { bundle } from "./bundle.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(root, "bench/results");
const cache = join(root, "fixtures/cache");
const rel = (p) => p.startsWith(root) ? p.slice(root.length) : p;

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { quick: false, runs: undefined, only: ["bare", "linux"], scale: 1, tsemuLinuxTimeout: undefined, tsemuLinuxRuns: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === "--quick") o.quick = true;
    else if (a === "--runs") o.runs = Number(val());
    else if (a === "--only") o.only = val().split(",").map((x) => (x === "boot" || x === "guest" ? "linux" : x));
    else if (a === "--scale") o.scale = Number(val());
    else if (a === "--tsemu-timeout") o.tsemuLinuxTimeout = Number(val());
    else if (a === "--tsemu-linux-runs") o.tsemuLinuxRuns = Number(val());
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument ${a}`);
  }
  for (const s of o.only) if (!["bare", "linux"].includes(s)) usage(`unknown suite ${s}`);
  if (o.runs !== undefined && !(o.runs >= 1)) usage("--runs must be >= 1");
  if (!(o.scale >= 1)) usage("--scale must be >= 1");
  // bare-metal runs are seconds; Linux boots take tens of seconds under QEMU TCG on a loaded
  // host and minutes under tsemu (deterministic clock: a tsemu boot does the same work every run)
  o.linuxRuns = o.runs ?? (o.quick ? 1 : 3);
  o.tsemuLinuxRuns ??= 1;
  o.runs ??= o.quick ? 2 : 5;
  o.tsemuLinuxTimeout ??= o.quick ? 30 : 180;
  return o;
}
function usage(problem) {
  if (problem) console.error(`bench: ${problem}`);
  console.error("usage: node bench/run.mjs [--quick] [--runs N] [--only bare,linux] [--scale N] [--tsemu-timeout SEC] [--tsemu-linux-runs N]");
  process.exit(problem ? 1 : 0);
}
const opts = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------- tools
function which(cmd) {
  try { return execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim() || null; } catch { return null; }
}
function firstLine(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0].trim(); } catch { return null; }
}
const SEABIOS = "/usr/share/seabios/bios.bin";
const VGABIOS = ["/usr/share/seabios/vgabios-stdvga.bin", "/usr/share/seabios/vgabios.bin"].find(existsSync);
function v86Version() {
  try { return JSON.parse(readFileSync(join(root, "node_modules/v86/package.json"), "utf8")).version; } catch { return null; }
}

// ---------------------------------------------------------------- one child process
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Spawns cmd, collects stdout lines with their arrival time (ms since spawn), kills it after
 * timeoutMs. Resolves { lines, exitCode, signal, timedOut, wallMs, stderr }.
 */
function runChild(cmd, args, { timeoutMs, stopWhen, env } = {}) {
  return new Promise((resolve) => {
    const t0 = nowMs();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    const lines = [];
    let partial = "", stderr = "", timedOut = false;
    child.stdout.on("data", (chunk) => {
      const t = nowMs() - t0;
      partial += chunk.toString("latin1");
      let nl;
      while ((nl = partial.indexOf("\n")) >= 0) {
        const text = partial.slice(0, nl).replace(/\r/g, "");
        partial = partial.slice(nl + 1);
        lines.push({ t, text });
        if (stopWhen?.(text)) child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (c) => { if (stderr.length < 20000) stderr += c.toString(); });
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs ?? 600_000);
    child.on("error", (e) => { stderr += String(e); });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      if (partial) lines.push({ t: nowMs() - t0, text: partial.replace(/\r/g, "") });
      resolve({ lines, exitCode, signal, timedOut, wallMs: nowMs() - t0, stderr });
    });
  });
}

const ESC = /\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g;
function lastConsoleLine(lines) {
  for (let i = lines.length - 1; i >= 0; i--) {
    const s = lines[i].text.replace(ESC, "").trim();
    if (s) return s.length > 160 ? `${s.slice(0, 157)}...` : s;
  }
  return "(no console output)";
}
const findLine = (lines, pred) => lines.find((l) => pred(l.text));

/** The first console lines after the one containing `marker` (what a failing /init printed). */
function linesAfter(lines, marker, n = 3) {
  const i = lines.findIndex((l) => l.text.includes(marker));
  if (i < 0) return "";
  return lines.slice(i + 1).map((l) => l.text.replace(ESC, "").trim()).filter(Boolean).slice(0, n)
    .map((t) => (t.length > 200 ? `${t.slice(0, 197)}...` : t)).join(" / ");
}

/** Keeps a run's console in bench/.build/console/ (git-ignored) for reading after the bench. */
let consoleSeq = 0;
function saveConsole(name, lines) {
  const dir = join(BUILD_DIR, "console");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^A-Za-z0-9]+/g, "-")}-${consoleSeq++}.log`);
  writeFileSync(file, lines.map((l) => `${(l.t / 1000).toFixed(3).padStart(9)} ${l.text}`).join("\n") + "\n");
  return rel(file);
}

/** Marker-to-marker times of a workload run: total (@start..@end) and each phase. */
function workloadTimes(rawLines) {
  // firmware may print on the same line before the kernel's first marker (SeaBIOS "Booting from ROM..")
  const lines = rawLines.map((l) => { const at = l.text.indexOf("@"); return at > 0 ? { t: l.t, text: l.text.slice(at) } : l; });
  const start = findLine(lines, (s) => s.startsWith("@start"));
  const end = findLine(lines, (s) => s.startsWith("@end"));
  if (!start || !end) return null;
  const phases = {};
  for (const p of ["sha256", "sort", "interp"]) {
    const a = findLine(lines, (s) => s === `@phase ${p}`), b = findLine(lines, (s) => s.startsWith(`@done ${p}`));
    if (a && b) phases[p] = b.t - a.t;
  }
  const checksum = end.text.split(/\s+/).pop();
  return { totalMs: end.t - start.t, startMs: start.t, phases, checksum };
}

let reportSeq = 0;
function reportFile() { return join(BUILD_DIR, `report-${process.pid}-${reportSeq++}.json`); }
function readReport(path) {
  try { const r = JSON.parse(readFileSync(path, "utf8")); rmSync(path, { force: true }); return r; } catch { return null; }
}

// ---------------------------------------------------------------- statistics
function median(xs) {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
function summary(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return null;
  const m = median(v), lo = Math.min(...v), hi = Math.max(...v);
  return { median: m, min: lo, max: hi, spreadPct: m ? ((hi - lo) / m) * 100 : 0, n: v.length, values: v };
}

// ---------------------------------------------------------------- peers
// A peer run returns { ok, times?, wallMs, error?, lastLine?, tsemu? (report) }.

async function tsemuRun({ kernel, initrd, cmdline, memoryMiB, timeoutSec, stopMarker, child }) {
  const rf = reportFile();
  const job = { kernel, initrd, cmdline, memoryMiB, timeoutSec, stopMarker, reportFile: rf };
  const r = await runChild(process.execPath, [child, JSON.stringify(job)], { timeoutMs: (timeoutSec + 60) * 1000 });
  const report = readReport(rf);
  return { ...r, report };
}

/** "0xffffffff81234567 (func+0x12)" from the kernel package's System.map, when there is one. */
let systemMap;
function symbolize(hex) {
  if (systemMap === undefined) {
    systemMap = null;
    try {
      const dir = join(cache, "kernel/boot");
      const f = readdirSync(dir).find((n) => n.startsWith("System.map"));
      if (f) {
        systemMap = readFileSync(join(dir, f), "utf8").split("\n").map((l) => l.split(" "))
          .filter((p) => p.length === 3 && /^[tTwW]$/.test(p[1])).map((p) => [BigInt(`0x${p[0]}`), p[2]])
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      }
    } catch { systemMap = null; }
  }
  if (!systemMap?.length) return hex;
  const a = BigInt(hex);
  if (a < systemMap[0][0] || a > systemMap[systemMap.length - 1][0] + 0x100000n) return hex;
  let lo = 0, hi = systemMap.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (systemMap[mid][0] <= a) lo = mid; else hi = mid - 1; }
  return `${hex} (${systemMap[lo][1]}+0x${(a - systemMap[lo][0]).toString(16)})`;
}

function describeTsemuFailure(r, what) {
  const rep = r.report;
  const parts = [`did not reach ${what} (last console line: ${lastConsoleLine(r.lines)})`];
  if (!rep) {
    if (r.timedOut) parts.push("tsemu child killed: it did not stop at its own timeout (stuck inside one slice?)");
    else parts.push(`tsemu child died (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    return parts.join("; ");
  }
  parts.push(`tsemu: ${rep.outcome}${rep.detail ? `: ${rep.detail}` : ""}${rep.rip ? ` (RIP ${symbolize(rep.rip)})` : ""}`);
  if (rep.outcome === "exit" && /s5|acpi/i.test(rep.detail ?? ""))
    parts.push("the guest powered off through ACPI S5 (in this initramfs only /init's `poweroff -f` does) yet the marker never appeared on COM1: console output stopped at the line above");
  if (rep.stats?.cpu?.insnsRetired) parts.push(`${fmtCount(rep.stats.cpu.insnsRetired)} guest instructions in ${fmtMs(rep.runMs)}`);
  if (rep.outcome === "timeout" && rep.kernelFormat === "bzimage" && rep.rip && BigInt(rep.rip) < 2n ** 32n)
    parts.push("RIP is identity-mapped low memory: still in the bzImage's decompression stub (the kernel proper runs at 0xffffffff8...)");
  if (rep.outcome === "timeout" && rep.recentRips?.length > 1) parts.push(`RIPs at the last slice ends: ${rep.recentRips.map(symbolize).join(", ")}`);
  // #UD (an instruction tsemu lacks) first: those stop guests; MSR probes that #GP are routine
  const unimp = (rep.log ?? []).filter((l) => l.startsWith("unimp")).sort((a, b) => Number(b.includes("#UD")) - Number(a.includes("#UD")));
  if (unimp.length) parts.push(`first unimplemented: ${unimp.slice(0, 3).join("; ")}`);
  return parts.join("; ");
}

// ---------------------------------------------------------------- suite: bare metal
async function suiteBare(ctx) {
  const { kernel, native } = ctx.builds;
  const cmdline = `scale=${opts.scale}`;
  const peers = [];
  const qemuI386 = which("qemu-system-i386");
  const kernelWhy = builds_errors(ctx).kernel;
  peers.push({
    name: "tsemu", available: !kernelWhy && !ctx.bundleErrors.child, why: kernelWhy ?? ctx.bundleErrors.child,
    run: async () => {
      const r = await tsemuRun({ kernel, cmdline, memoryMiB: 64, timeoutSec: 300, child: ctx.child });
      const times = workloadTimes(r.lines);
      if (!times) return { ok: false, error: describeTsemuFailure(r, "the @end marker"), report: r.report };
      return { ok: true, times, wallMs: r.wallMs, report: r.report };
    },
  });
  peers.push({
    name: "QEMU TCG (qemu-system-i386)", available: !!qemuI386 && !kernelWhy, why: kernelWhy ?? "qemu-system-i386 not installed (apt-get install -y qemu-system-x86)",
    run: async () => {
      const r = await runChild(qemuI386, ["-kernel", kernel, "-append", cmdline, "-nographic", "-no-reboot", "-net", "none",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-accel", "tcg", "-m", "64M"], { timeoutMs: 300_000 });
      const times = workloadTimes(r.lines);
      if (!times) return { ok: false, error: `no @end marker (exit ${r.exitCode}, last console line: ${lastConsoleLine(r.lines)}) ${r.stderr.trim().slice(0, 200)}` };
      return { ok: true, times, wallMs: r.wallMs };
    },
  });
  const v86ok = !!v86Version() && existsSync(SEABIOS) && !!VGABIOS;
  peers.push({
    name: "v86", available: v86ok && !kernelWhy,
    why: kernelWhy ?? (!v86Version() ? "npm package v86 not installed (npm ci)" : "SeaBIOS images missing (apt-get install -y seabios)"),
    run: async () => {
      const rf = reportFile();
      const job = { kernel, cmdline, memoryMiB: 64, timeoutSec: 300, stopMarker: "@end", reportFile: rf, bios: SEABIOS, vgaBios: VGABIOS };
      const r = await runChild(process.execPath, [join(root, "bench/v86-child.mjs"), JSON.stringify(job)], { timeoutMs: 360_000 });
      const report = readReport(rf);
      const times = workloadTimes(r.lines);
      if (!times) return { ok: false, error: `no @end marker (${report ? `${report.outcome}: ${report.detail}` : `exit ${r.exitCode}`}; last console line: ${lastConsoleLine(r.lines)})` };
      return { ok: true, times, wallMs: r.wallMs, report };
    },
  });
  peers.push({
    name: "native (host x86-64, gcc -O2)", available: !builds_errors(ctx).native, why: builds_errors(ctx).native, repeat: 3,
    run: async () => {
      const r = await runChild(native, [String(opts.scale)], { timeoutMs: 60_000 });
      const times = workloadTimes(r.lines);
      if (!times) return { ok: false, error: `no @end marker (exit ${r.exitCode})` };
      return { ok: true, times, wallMs: r.wallMs };
    },
  });
  return runPeers("bare", peers, opts.runs);
}

// ---------------------------------------------------------------- suite: linux (boot + guest workload)
// One initramfs for both figures: busybox and the static workload; /init prints LINUX_MARKER,
// runs the workload and powers off. So a single boot gives "spawn -> marker" (item: boot to a
// marker) and "@start -> @end" (item: CPU-bound program in the guest); under tsemu, whose boots
// take minutes, that halves the bench's time.
const LINUX_MARKER = "TSEMU-BENCH-INIT";

async function suiteLinux(ctx) {
  const vmlinuz = join(cache, "vmlinuz"), busybox = join(cache, "busybox");
  const missing = [vmlinuz, busybox].filter((p) => !existsSync(p));
  // nokaslr: the same kernel addresses every run (a stuck tsemu run's RIPs stay comparable)
  const cmdline = "console=ttyS0 nokaslr";
  const guestWhy = builds_errors(ctx).guest;
  const fixtureWhy = missing.length ? `missing ${missing.map(rel).join(", ")}: run \`npm run fixtures\`` : guestWhy ?? ctx.bundleErrors.tools;
  const initrd = fixtureWhy ? null : ctx.guestInitrd();
  const vmlinux = fixtureWhy ? null : ctx.vmlinux();
  const qemu = which("qemu-system-x86_64");
  const parse = (r) => {
    const m = findLine(r.lines, (t) => t.includes(LINUX_MARKER));
    const w = workloadTimes(r.lines);
    return { bootMs: m?.t, ...(w ?? {}), totalMs: w?.totalMs };
  };
  const peers = [];
  for (const [fmt, kernel, why] of [["bzImage", vmlinuz, fixtureWhy], ["PVH", vmlinux?.path, fixtureWhy ?? vmlinux?.error]]) {
    peers.push({
      name: `tsemu ${fmt}`, format: fmt, available: !why && !ctx.bundleErrors.child, why: why ?? ctx.bundleErrors.child,
      tsemu: true, runsOverride: opts.tsemuLinuxRuns,
      run: async () => {
        const r = await tsemuRun({ kernel, initrd, cmdline, memoryMiB: 512, timeoutSec: opts.tsemuLinuxTimeout, child: ctx.child });
        const times = parse(r);
        const log = saveConsole(`tsemu-${fmt}`, r.lines);
        if (times.bootMs === undefined) return { ok: false, error: `${describeTsemuFailure(r, "the /init marker")} (console: ${log})`, report: r.report, deterministicFailure: true };
        if (r.report?.outcome === "exit") times.exitMs = r.wallMs;
        const note = times.totalMs === undefined
          ? `the workload did not finish: after the marker the console says: ${linesAfter(r.lines, LINUX_MARKER) || "(nothing)"}; tsemu: ${r.report?.outcome ?? "?"}${r.report?.detail ? `: ${r.report.detail}` : ""} (console: ${log})`
          : undefined;
        return { ok: true, times, wallMs: r.wallMs, report: r.report, note };
      },
    });
    peers.push({
      name: `QEMU TCG ${fmt} (qemu-system-x86_64 -M pc)`, format: fmt, available: !!qemu && !why,
      why: !qemu ? "qemu-system-x86_64 not installed (apt-get install -y qemu-system-x86)" : why,
      run: async () => {
        const r = await runChild(qemu, ["-accel", "tcg", "-M", "pc", "-m", "512M", "-kernel", kernel, "-initrd", initrd,
          "-append", cmdline, "-nographic", "-no-reboot", "-net", "none"], { timeoutMs: 300_000 });
        const times = parse(r);
        if (times.bootMs === undefined) return { ok: false, error: `did not reach the marker (exit ${r.exitCode}${r.timedOut ? ", killed after 300 s" : ""}, last console line: ${lastConsoleLine(r.lines)})` };
        if (!r.timedOut) times.exitMs = r.wallMs;
        const note = times.totalMs === undefined ? `the workload did not finish: after the marker the console says: ${linesAfter(r.lines, LINUX_MARKER) || "(nothing)"} (console: ${saveConsole(`qemu-${fmt}`, r.lines)})` : undefined;
        return { ok: true, times, wallMs: r.wallMs, note };
      },
    });
  }
  peers.push({
    name: "native (the same static binary on the host)", available: !guestWhy, why: guestWhy, repeat: 3, nativeGuest: true,
    run: async () => {
      const r = await runChild(ctx.builds.guest, [String(opts.scale)], { timeoutMs: 60_000 });
      const times = workloadTimes(r.lines);
      if (!times) return { ok: false, error: `no @end marker (exit ${r.exitCode})` };
      return { ok: true, times, wallMs: r.wallMs };
    },
  });
  return runPeers("linux", peers, opts.linuxRuns);
}

/** Runs every peer `runs` times, round-robin (so load drift hits all peers alike). */
async function runPeers(suite, peers, runs) {
  const results = peers.map((p) => ({ name: p.name, format: p.format, native: !!p.nativeGuest, available: p.available, why: p.why, runs: [], errors: [], notes: [] }));
  for (let i = 0; i < runs; i++) {
    for (const [k, p] of peers.entries()) {
      const res = results[k];
      if (!p.available) continue;
      if (p.runsOverride !== undefined && i >= p.runsOverride) continue;
      // a tsemu run that cannot reach the marker fails the same way every time: run it once
      if (res.errors.length && res.deterministic) continue;
      // native runs last milliseconds: more of them, so scheduling noise on a loaded host averages out
      for (let j = 0; j < (p.repeat ?? 1); j++) {
        process.stderr.write(`bench: ${suite}: ${p.name}: run ${i + 1}/${runs}${p.repeat ? `.${j + 1}` : ""} ... `);
        let r;
        try { r = await p.run(); } catch (e) { r = { ok: false, error: String(e?.stack ?? e) }; }
        if (r.ok) {
          res.runs.push(r);
          if (r.note) res.notes.push(r.note);
          const parts = [r.times.bootMs !== undefined ? `marker ${fmtMs(r.times.bootMs)}` : null, r.times.totalMs !== undefined ? `@start→@end ${fmtMs(r.times.totalMs)}` : null];
          process.stderr.write(`${parts.filter(Boolean).join(", ")}${r.note ? ` (${r.note})` : ""}\n`);
        }
        else {
          res.errors.push(r.error);
          if (r.report) res.failedReport = r.report;
          if (r.deterministicFailure) res.deterministic = true;
          process.stderr.write(`FAILED: ${r.error}\n`);
        }
      }
    }
  }
  for (const res of results) {
    res.total = summary(res.runs.map((r) => r.times.totalMs));
    res.wall = summary(res.runs.map((r) => r.wallMs));
    res.boot = summary(res.runs.map((r) => r.times.bootMs));
    res.exit = summary(res.runs.map((r) => r.times.exitMs));
    res.phases = {};
    for (const ph of ["sha256", "sort", "interp"]) {
      const s = summary(res.runs.map((r) => r.times.phases?.[ph]));
      if (s) res.phases[ph] = s;
    }
    const sums = [...new Set(res.runs.map((r) => r.times.checksum).filter(Boolean))];
    res.checksums = sums;
    const reports = p_isTsemu(res) ? res.runs.map((r) => r.report).filter(Boolean) : [];
    if (reports.length) res.jit = jitSummary(reports, res.runs);
    else if (p_isTsemu(res) && res.failedReport) res.jit = jitSummary([res.failedReport], null);
  }
  return { suite, peers: results };
}

const builds_errors = (ctx) => ctx.builds.errors;
const p_isTsemu = (res) => res.name.startsWith("tsemu");

/** JIT internals of tsemu runs (medians over runs). */
function jitSummary(reports, runs) {
  const med = (f) => median(reports.map(f).filter((x) => Number.isFinite(x)));
  const s = (r, a, b) => r.stats?.[a]?.[b];
  return {
    runMs: med((r) => r.runMs),
    setupMs: med((r) => r.setupMs),
    compileMs: med((r) => s(r, "backend", "compileMs")),
    compileShare: med((r) => s(r, "backend", "compileMs") / r.runMs),
    wasmBytes: med((r) => s(r, "backend", "wasmBytes")),
    modules: med((r) => s(r, "backend", "modules")),
    functions: med((r) => s(r, "backend", "functions")),
    translated: med((r) => s(r, "tbs", "translated")),
    invalidated: med((r) => s(r, "tbs", "invalidated")),
    tlbFills: med((r) => s(r, "tlb", "fills")),
    tlbFlushes: med((r) => s(r, "tlb", "flushes")),
    tlbPageFlushes: med((r) => s(r, "tlb", "pageFlushes")),
    insnsRetired: med((r) => s(r, "cpu", "insnsRetired")),
    insnsPerSec: med((r) => s(r, "cpu", "insnsRetired") / (r.runMs / 1000)),
    exceptions: med((r) => s(r, "cpu", "exceptions")),
    dispatches: med((r) => s(r, "cpu", "dispatches")),
    maxRssMiB: med((r) => r.maxRssKiB / 1024),
    outcome: reports.map((r) => r.outcome),
    log: reports[0]?.log ?? [],
    completedRuns: runs ? runs.length : 0,
  };
}

// ---------------------------------------------------------------- formatting
function fmtMs(ms) {
  if (!Number.isFinite(ms)) return "-";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}
const fmtSum = (s) => (s ? `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)}, n=${s.n})` : "-");
const fmtRatio = (a, b) => (a && b && b.median > 0 ? `${(a.median / b.median).toFixed(a.median / b.median >= 100 ? 0 : 2)}×` : "-");
function fmtCount(n) {
  if (!Number.isFinite(n)) return "-";
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return String(Math.round(n));
}
const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");

function statusOf(p) {
  if (!p.available) return `not run: ${p.why}`;
  if (!p.runs.length) return p.errors[0] ?? "no runs";
  const extra = p.errors.length ? `; ${p.errors.length} failed run(s): ${p.errors[0]}` : "";
  return `ok${extra}`;
}
/** Status of a Linux row in the workload table: the boot may have worked and the workload not. */
function workloadStatusOf(p) {
  if (p.available && !p.runs.length && p.errors.length && p.format) return "did not boot to /init: see the boot table";
  if (!p.available || !p.runs.length) return statusOf(p);
  if (!p.total) return p.notes[0] ?? "no @end marker";
  return statusOf(p);
}

/** "tsemu / <peer>: total X×, sha256 Y×, ..." for every peer that finished. */
function ratioLines(tsemu, peers) {
  if (!tsemu?.total) return ["tsemu did not finish: no ratios."];
  const lines = [];
  for (const p of peers) {
    if (p === tsemu || !p.total) continue;
    const phases = ["sha256", "sort", "interp"].map((ph) => `${ph} ${fmtRatio(tsemu.phases[ph], p.phases[ph])}`).join(", ");
    lines.push(`- tsemu / ${p.name}: **${fmtRatio(tsemu.total, p.total)}** (${phases})`);
  }
  return lines;
}

function markdown(meta, suites) {
  const out = [];
  out.push(`# tsemu benchmark results`, "");
  out.push(`${meta.date} · commit ${meta.commit}${meta.srcChanges ? ` + ${meta.srcChanges} uncommitted src/ changes` : ""} · ${meta.cpu} (${meta.cores} cores, load ${meta.loadavg.join(" ")}) · Node ${meta.node} · ${meta.qemu ?? "QEMU missing"} · v86 ${meta.v86 ?? "missing"}`, "");
  out.push(`Command: \`${meta.command}\` (${meta.runs} runs per peer for the bare-metal workload, ${meta.linuxRuns} per QEMU Linux boot, ${meta.tsemuLinuxRuns} per tsemu Linux boot, round-robin; median (min–max, n) of marker-to-marker wall time, measured by the parent with hrtime).`, "");
  for (const s of suites) {
    const tsemu = s.peers.find((p) => p.name.startsWith("tsemu"));
    if (s.suite === "bare") {
      out.push(`## Bare-metal workload (32-bit multiboot kernel, scale ${meta.scale})`, "");
      out.push("| peer | @start→@end | sha256 | sort | interp | checksum | tsemu / peer | spawn → exit | status |", "|---|---|---|---|---|---|---|---|---|");
      for (const p of s.peers) {
        out.push(`| ${cell(p.name)} | ${fmtSum(p.total)} | ${fmtMs(p.phases.sha256?.median)} | ${fmtMs(p.phases.sort?.median)} | ${fmtMs(p.phases.interp?.median)} | ${p.checksums.join(", ") || "-"} | ${p === tsemu ? "1" : fmtRatio(tsemu?.total, p.total)} | ${fmtMs(p.wall?.median)} | ${cell(statusOf(p))} |`);
      }
      out.push("", `Checksums: ${s.checksumVerdict}`, "");
      out.push(...ratioLines(tsemu, s.peers), "");
    } else if (s.suite === "linux") {
      const tsemuOf = (p) => s.peers.find((q) => q.name.startsWith("tsemu") && q.format === p.format);
      out.push(`## Boot to the /init marker (Debian kernel, bench initramfs, \`console=ttyS0 nokaslr\`)`, "");
      out.push(`tsemu: ${meta.tsemuLinuxRuns} run(s) per format, ${meta.tsemuLinuxTimeout} s timeout; QEMU: ${meta.linuxRuns} runs.`, "");
      out.push("| peer | spawn → marker | spawn → exit | tsemu / peer | status |", "|---|---|---|---|---|");
      for (const p of s.peers.filter((q) => q.format)) {
        out.push(`| ${cell(p.name)} | ${fmtSum(p.boot)} | ${fmtSum(p.exit)} | ${p.name.startsWith("tsemu") ? "1" : fmtRatio(tsemuOf(p)?.boot, p.boot)} | ${cell(statusOf(p))} |`);
      }
      out.push("");
      out.push(`## CPU-bound static program in the Debian guest (scale ${meta.scale}, same boots)`, "");
      out.push("| peer | @start→@end | sha256 | sort | interp | checksum | tsemu / peer | status |", "|---|---|---|---|---|---|---|---|");
      const nat = s.peers.find((q) => q.native);
      for (const p of s.peers) {
        const t = p.native ? null : tsemuOf(p);
        const ratio = p.name.startsWith("tsemu") ? (nat?.total && p.total ? `${fmtRatio(p.total, nat.total)} of native` : "1") : fmtRatio(t?.total, p.total);
        out.push(`| ${cell(p.name)} | ${fmtSum(p.total)} | ${fmtMs(p.phases.sha256?.median)} | ${fmtMs(p.phases.sort?.median)} | ${fmtMs(p.phases.interp?.median)} | ${p.checksums.join(", ") || "-"} | ${ratio} | ${cell(workloadStatusOf(p))} |`);
      }
      out.push("", `Checksums: ${s.checksumVerdict}`, "");
    }
  }
  const jitRows = [];
  for (const s of suites) for (const p of s.peers) if (p.jit) jitRows.push([`${s.suite}: ${p.name}${p.jit.completedRuns ? "" : " (failed run)"}`, p.jit]);
  if (jitRows.length) {
    out.push("## tsemu JIT internals (medians over runs)", "");
    out.push("| workload | run time | compile | compile share | Wasm bytes | blocks translated | modules | blocks invalidated | TLB fills | TLB flushes | guest insns | guest insns/s | peak RSS | machine setup |");
    out.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (const [name, j] of jitRows) {
      out.push(`| ${cell(name)} | ${fmtMs(j.runMs)} | ${fmtMs(j.compileMs)} | ${(j.compileShare * 100).toFixed(1)} % | ${fmtCount(j.wasmBytes)} | ${fmtCount(j.translated)} | ${fmtCount(j.modules)} | ${fmtCount(j.invalidated)} | ${fmtCount(j.tlbFills)} | ${fmtCount(j.tlbFlushes)} | ${fmtCount(j.insnsRetired)} | ${fmtCount(j.insnsPerSec)} | ${j.maxRssMiB.toFixed(0)} MiB | ${fmtMs(j.setupMs)} |`);
    }
    out.push("");
    const logs = jitRows.filter(([, j]) => j.log.length);
    if (logs.length) {
      out.push("tsemu log (unimp / guest_error, first lines):", "");
      for (const [name, j] of logs) out.push(`- ${cell(name)}: ${cell(j.log.slice(0, 5).join("; "))}`);
      out.push("");
    }
  }
  out.push("See bench/README.md for what each figure means.", "");
  return out.join("\n");
}

// ---------------------------------------------------------------- main
async function main() {
  const t0 = nowMs();
  mkdirSync(resultsDir, { recursive: true });
  if (!which(process.env.CC ?? "gcc")) throw new Error("gcc not found (apt-get install -y gcc gcc-multilib)");
  const builds = buildWorkload({ quiet: true });
  for (const e of Object.values(builds.errors)) console.error(`bench: ${e}`);
  const { child, tools, errors: bundleErrors } = await bundle();
  for (const e of Object.values(bundleErrors)) console.error(`bench: ${e}`);
  const toolsMod = bundleErrors.tools ? null : await import(tools);
  const ctx = {
    builds, child, bundleErrors,
    vmlinux: () => {
      const path = join(BUILD_DIR, "vmlinux");
      if (!toolsMod) return { error: bundleErrors.tools };
      try {
        const img = readFileSync(join(cache, "vmlinuz"));
        const out = toolsMod.extractVmlinux(img);
        writeFileSync(`${path}.tmp`, out); renameSync(`${path}.tmp`, path);
        return { path };
      } catch (e) { return { error: `extract-vmlinux failed: ${e.message}` }; }
    },
    guestInitrd: () => {
      if (!toolsMod) return null;
      const path = join(BUILD_DIR, `guest-s${opts.scale}.cpio.gz`);
      const init = join(BUILD_DIR, "guest-init.sh");
      writeFileSync(init, `#!/bin/sh\n# /init of the benchmark guest: print the boot marker, run the workload, power off\necho ${LINUX_MARKER}\n/bench-workload ${opts.scale}\n/bin/busybox poweroff -f\n`);
      const desc = [
        "dir /bin 0755 0 0", "dir /dev 0755 0 0", "dir /proc 0555 0 0", "nod /dev/console 0600 0 0 c 5 1",
        `file /bin/busybox ${join(cache, "busybox")} 0755 0 0`, "slink /bin/sh busybox 0777 0 0",
        `file /bench-workload ${builds.guest} 0755 0 0`, `file /init ${init} 0755 0 0`, "",
      ].join("\n");
      const cpio = toolsMod.buildInitramfs(desc, { readFile: (loc) => readFileSync(loc) });
      writeFileSync(path, gzipSync(cpio, { level: 6 }));
      return path;
    },
  };
  const qemuVersion = firstLine("qemu-system-x86_64", ["--version"]);
  const meta = {
    date: new Date().toISOString(),
    commit: firstLine("git", ["-C", root, "rev-parse", "--short", "HEAD"]) ?? "unknown",
    // the bench runs the working tree: say when src/ differs from the commit
    srcChanges: (() => { try { return execFileSync("git", ["-C", root, "status", "--porcelain", "--", "src"], { encoding: "utf8" }).split("\n").filter(Boolean).length; } catch { return null; } })(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    runs: opts.runs, linuxRuns: opts.linuxRuns, tsemuLinuxRuns: opts.tsemuLinuxRuns, tsemuLinuxTimeout: opts.tsemuLinuxTimeout, scale: opts.scale, quick: opts.quick,
    cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavg: loadavg().map((x) => x.toFixed(2)),
    node: process.version, qemu: qemuVersion, v86: v86Version(), gcc: firstLine("gcc", ["--version"]),
    kernelCflags: KERNEL_CFLAGS.join(" "),
  };
  const suites = [];
  if (opts.only.includes("bare")) suites.push(await suiteBare(ctx));
  if (opts.only.includes("linux")) suites.push(await suiteLinux(ctx));
  for (const s of suites) {
    const all = s.peers.flatMap((p) => p.checksums.map((c) => [p.name, c]));
    const distinct = [...new Set(all.map(([, c]) => c))];
    s.checksumVerdict = !all.length ? "no peer finished" : distinct.length === 1
      ? `all ${new Set(all.map(([n]) => n)).size} finishing peers printed ${distinct[0]}`
      : `MISMATCH: ${all.map(([n, c]) => `${n}=${c}`).join(", ")}`;
  }
  meta.elapsedSec = (nowMs() - t0) / 1000;
  const md = markdown(meta, suites);
  const stamp = meta.date.replace(/[:.]/g, "-");
  const json = JSON.stringify({ meta, suites }, null, 2);
  for (const [name, text] of [[`${stamp}.json`, json], [`${stamp}.md`, md], ["latest.json", json], ["latest.md", md]]) {
    writeFileSync(join(resultsDir, `${name}.tmp`), text);
    renameSync(join(resultsDir, `${name}.tmp`), join(resultsDir, name));
  }
  console.log(md);
  console.log(`bench: wrote ${rel(join(resultsDir, `${stamp}.md`))} and latest.md/.json (${meta.elapsedSec.toFixed(0)} s)`);
}

main().catch((e) => { console.error(`bench: ${e.stack ?? e}`); process.exit(1); });
