// Picks kernel modules for the virtio test image: reads modules.dep (or, without depmod,
// each module's .modinfo `depends=`), orders the wanted modules and their dependencies so
// every module comes after what it needs, and decompresses .ko.xz/.ko.zst/.ko.gz on the
// host, because busybox insmod loads plain .ko files only.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { FixtureError } from "./fixtures-debian.mjs";

const COMPRESSED = /\.ko(\.xz|\.zst|\.gz)?$/;

/** Module name as the kernel sees it: file name without .ko*, dashes as underscores. */
export function moduleName(path) {
  return basename(path).replace(COMPRESSED, "").replace(/-/g, "_");
}

function decompress(path) {
  const ext = COMPRESSED.exec(path)?.[1];
  if (!ext) return readFileSync(path);
  if (ext === ".gz") return gunzipSync(readFileSync(path));
  const tool = ext === ".xz" ? "xz" : "zstd";
  try {
    return execFileSync(tool, ["-dc", path], { maxBuffer: 1 << 28 });
  } catch (e) {
    throw new FixtureError(`cannot decompress ${path} with ${tool} (install ${ext === ".xz" ? "xz-utils" : "zstd"}): ${e.message}`);
  }
}

/** Parses modules.dep: "kernel/a/b.ko: kernel/c.ko kernel/d.ko" (paths relative to the dir). */
function readModulesDep(modulesDir) {
  const map = new Map();
  for (const line of readFileSync(join(modulesDir, "modules.dep"), "utf8").split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(moduleName);
    map.set(moduleName(path), { path: join(modulesDir, path), deps });
  }
  return map;
}

function* walk(dir) {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (COMPRESSED.test(n)) yield p;
  }
}

/** Without depmod: the NUL-separated "depends=a,b" string of each module's .modinfo. */
function readModinfoDeps(modulesDir) {
  const map = new Map();
  for (const path of walk(join(modulesDir, "kernel"))) {
    const text = decompress(path).toString("latin1");
    const m = /\0depends=([^\0]*)\0/.exec(text);
    const deps = m && m[1] ? m[1].split(",").map((d) => d.replace(/-/g, "_")) : [];
    map.set(moduleName(path), { path, deps });
  }
  return map;
}

function builtinNames(modulesDir) {
  const f = join(modulesDir, "modules.builtin");
  if (!existsSync(f)) return new Set();
  return new Set(readFileSync(f, "utf8").split("\n").filter(Boolean).map(moduleName));
}

/**
 * Returns the wanted modules that exist (loadable or built in) plus their dependencies,
 * in load order, each as { name, path }; built-in ones are reported, not returned.
 */
export function resolveModules(modulesDir, wanted) {
  const graph = existsSync(join(modulesDir, "modules.dep")) ? readModulesDep(modulesDir) : readModinfoDeps(modulesDir);
  const builtin = builtinNames(modulesDir);
  const order = [];
  const state = new Map(); // name -> "visiting" | "done"
  const visit = (name, chain) => {
    if (state.get(name) === "done" || builtin.has(name)) return;
    if (state.get(name) === "visiting") throw new FixtureError(`module dependency cycle: ${[...chain, name].join(" -> ")}`);
    const node = graph.get(name);
    if (!node) throw new FixtureError(`module ${name} (needed by ${chain.at(-1)}) is not in ${modulesDir}`);
    state.set(name, "visiting");
    for (const d of node.deps) visit(d, [...chain, name]);
    state.set(name, "done");
    order.push({ name, path: node.path });
  };
  const present = wanted.filter((w) => graph.has(w) || builtin.has(w));
  for (const w of present) visit(w, []);
  return { modules: order, builtin: present.filter((w) => builtin.has(w)), absent: wanted.filter((w) => !present.includes(w)) };
}

/**
 * Without depmod: writes modules.dep from the modules' .modinfo, in depmod's format (each
 * module's transitive dependencies, the one to load first last).
 */
export function writeModulesDep(modulesDir) {
  const graph = readModinfoDeps(modulesDir);
  const builtin = builtinNames(modulesDir);
  const lines = [];
  for (const [name, node] of graph) {
    const order = [];
    const seen = new Set([name]);
    const visit = (n) => {
      for (const d of graph.get(n)?.deps ?? []) {
        if (seen.has(d) || builtin.has(d) || !graph.has(d)) continue;
        seen.add(d);
        visit(d);
        order.push(d);
      }
    };
    visit(name);
    const rel = (n) => relative(modulesDir, graph.get(n).path);
    lines.push(`${rel(name)}:${order.reverse().map((d) => ` ${rel(d)}`).join("")}`);
  }
  writeFileSync(join(modulesDir, "modules.dep"), lines.sort().join("\n") + "\n");
  return lines.length;
}

/** Writes each module, decompressed, to `outDir/<name>.ko`; returns the written paths. */
export function extractModules(modules, outDir) {
  mkdirSync(outDir, { recursive: true });
  return modules.map(({ name, path }) => {
    const out = join(outDir, `${name}.ko`);
    writeFileSync(out, decompress(path));
    return out;
  });
}
