// Bundles with esbuild: dist/cli.js (Node CLI, ESM), dist/browser.js (browser entry) and
// dist/index.js (the library, src/index.ts: host-neutral ESM), and emits the library's
// declarations (dist/index.d.ts and the files it imports) with tsc -p tsconfig.dist.json.
// binaryen stays external in the Node and library bundles (loaded from node_modules).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}/package.json`, "utf8"));
const common = {
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
  define: { __TSEMU_VERSION__: JSON.stringify(version) },
};

await Promise.all([
  build({
    ...common,
    entryPoints: ["src/host/node/main.ts"],
    outfile: "dist/cli.js",
    platform: "node",
    external: ["binaryen"],
  }),
  build({
    ...common,
    entryPoints: ["src/host/browser/index.ts"],
    outfile: "dist/browser.js",
    platform: "browser",
  }),
  build({
    ...common,
    entryPoints: ["src/index.ts"],
    outfile: "dist/index.js",
    platform: "neutral",
    external: ["binaryen"],
  }),
]);
execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-p", `${root}/tsconfig.dist.json`], { stdio: "inherit" });
console.log(`built dist/cli.js, dist/browser.js, dist/index.js and dist/index.d.ts (tsemu ${version})`);
