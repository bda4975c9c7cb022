// Bundles with esbuild (options in build-config.mjs): dist/cli.js (Node CLI, ESM),
// dist/browser.js (browser entry) and dist/index.js (the library, src/index.ts: host-neutral
// ESM), then emits the library's declarations (dist/index.d.ts and the files it imports) with
// tsc -p tsconfig.dist.json. binaryen stays external in the Node and library bundles.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { browserBundle, cliBundle, libraryBundle, root, version } from "./build-config.mjs";

await Promise.all([build(cliBundle), build(browserBundle), build(libraryBundle)]);
execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-p", `${root}/tsconfig.dist.json`], { stdio: "inherit" });
console.log(`built dist/cli.js, dist/browser.js, dist/index.js and dist/index.d.ts (tsemu ${version})`);
