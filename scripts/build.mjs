// Bundles the host adapters with esbuild: dist/cli.js (Node CLI, ESM) and dist/browser.js
// (browser entry). binaryen stays external in the Node bundle (loaded from node_modules).
import { build } from "esbuild";
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
]);
console.log(`built dist/cli.js and dist/browser.js (tsemu ${version})`);
