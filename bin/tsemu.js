#!/usr/bin/env node
// The `tsemu` command: loads the bundled CLI, or says how to build it.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write("tsemu: dist/cli.js is missing; run `npm run build` first\n");
  process.exitCode = 1;
}
