/**
 * The library as a package: bundles src/index.ts with the build's own esbuild options
 * (scripts/build-config.mjs) into node_modules/tsemu of a temp dir outside the repository,
 * with the repository's package.json `exports`, and imports it by name from a consumer there;
 * and emits the declarations (tsconfig.dist.json) beside it for a TypeScript consumer.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type BuildOptions } from "esbuild";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../fixtures/paths.js";
import { multibootHello } from "../helpers/multiboot-hello.js";

it("import { createMachine } from \"tsemu\" works from the bundled dist/index.js outside the repo", async () => {
  const configUrl: string = pathToFileURL(join(REPO_ROOT, "scripts/build-config.mjs")).href;
  const { libraryBundle } = (await import(configUrl)) as { libraryBundle: BuildOptions & { outfile: string } };
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown>; main: string };
  const dir = mkdtempSync(join(tmpdir(), "tsemu-pkg-"));
  try {
    const pkgDir = join(dir, "node_modules", "tsemu");
    mkdirSync(pkgDir, { recursive: true });
    await build({ ...libraryBundle, outfile: join(pkgDir, libraryBundle.outfile), sourcemap: false, logLevel: "error" });
    writeFileSync(join(pkgDir, "package.json"), JSON.stringify({ name: "tsemu", type: "module", main: pkg.main, exports: pkg.exports }));
    symlinkSync(join(REPO_ROOT, "node_modules", "binaryen"), join(dir, "node_modules", "binaryen"), "dir");
    writeFileSync(join(dir, "hello.bin"), multibootHello("packaged\n", 2));
    writeFileSync(join(dir, "consumer.mjs"), `
      import { readFileSync } from "node:fs";
      import { createMachine, ConfigError } from "tsemu";
      const m = createMachine({ kernel: new Uint8Array(readFileSync("hello.bin")), memory: "64M" });
      let seen = "";
      m.serial(0).onData((b) => { seen += new TextDecoder().decode(b); });
      const r = await m.run();
      m.dispose();
      m.dispose();
      let bad = "";
      try { createMachine({ kernel: "x" }); } catch (e) { bad = (e instanceof ConfigError) + " " + e.message; }
      console.log(JSON.stringify({ r, seen, bad }));
    `);
    const out = execFileSync(process.execPath, ["consumer.mjs"], { cwd: dir, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({
      r: { kind: "exit", exitCode: 5, reason: "isa-debug-exit" },
      seen: "packaged\n",
      bad: "true kernel: must be a Uint8Array (the image's bytes)",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("the emitted declarations type a consumer (skipLibCheck off) and reject a misuse", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsemu-dts-"));
  const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  try {
    const pkgDir = join(dir, "node_modules", "tsemu");
    execFileSync(process.execPath, [tsc, "-p", join(REPO_ROOT, "tsconfig.dist.json"), "--outDir", join(pkgDir, "dist")]);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { exports: unknown; types: string };
    writeFileSync(join(pkgDir, "package.json"), JSON.stringify({ name: "tsemu", type: "module", types: pkg.types, exports: pkg.exports }));
    writeFileSync(join(pkgDir, "dist", "index.js"), "export {};\n");
    symlinkSync(join(REPO_ROOT, "node_modules", "@types"), join(dir, "node_modules", "@types"), "dir");
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, types: ["node"], skipLibCheck: false, noEmit: true },
      include: ["*.mts"],
    }));
    writeFileSync(join(dir, "ok.mts"), `
      import { createMachine, ConfigError, type Machine, type RunResult, type JitStats } from "tsemu";
      const m: Machine = createMachine({ kernel: new Uint8Array(0), memory: "512M", board: "microvm", clock: "realtime", now: () => performance.now() });
      m.serial(0).onData((b: Uint8Array) => void b).dispose();
      const r: RunResult = await m.run({ until: /login:/, maxInstructions: 1e9, signal: AbortSignal.timeout(1000) });
      if (r.kind === "exit") console.log(r.exitCode + r.reason);
      else if (r.kind === "match") console.log(r.output);
      else console.log(r.by);
      const s: JitStats = m.stats.jitStats();
      console.log(s.blocksTranslated, m.exitCode, new ConfigError("x").message, await m.waitFor("$ "));
    `);
    execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
    writeFileSync(join(dir, "bad.mts"), `import { createMachine } from "tsemu";\ncreateMachine({ kernel: new Uint8Array(0), board: "q35" });\n`);
    let out = "";
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
    } catch (e) {
      out = String((e as { stdout: string }).stdout);
    }
    expect(out).toMatch(/bad\.mts\(2,\d+\): error TS2322: Type '"q35"' is not assignable/);
    expect(out).not.toMatch(/ok\.mts|node_modules/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
