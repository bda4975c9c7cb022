// The esbuild options of each bundle scripts/build.mjs writes, shared with the test that
// bundles the library into a temp dir and imports it from outside the repository
// (test/api/package.test.ts).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const { version } = JSON.parse(readFileSync(`${root}/package.json`, "utf8"));

const common = {
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
  define: { __TSEMU_VERSION__: JSON.stringify(version) },
};

/** The Node CLI: binaryen stays external (loaded from node_modules). */
export const cliBundle = { ...common, entryPoints: ["src/host/node/main.ts"], outfile: "dist/cli.js", platform: "node", external: ["binaryen"] };
/** The browser entry. */
export const browserBundle = { ...common, entryPoints: ["src/host/browser/index.ts"], outfile: "dist/browser.js", platform: "browser" };
/** The library (src/index.ts): host-neutral ESM, binaryen external. */
export const libraryBundle = { ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js", platform: "neutral", external: ["binaryen"] };
