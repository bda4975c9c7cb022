/**
 * Process entry of the Node CLI (bundled to dist/cli.js): runs `main` with process.argv
 * and sets the exit code. Emulator bugs print their stack and exit 70 (EX_SOFTWARE).
 */

import { main } from "./cli.js";

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`tsemu: internal error (please report): ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 70;
  },
);
