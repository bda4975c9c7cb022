/**
 * The semantics table: every mnemonic the decoder produces maps to one function here, grouped
 * by family file. A mnemonic without an entry raises #UD (logged once) until implemented.
 */

import type { SemanticsTable } from "../translate.js";
import { aluSemantics } from "./alu.js";
import { atomicSemantics } from "./atomic.js";
import { bitSemantics } from "./bits.js";
import { controlSemantics } from "./control.js";
import { legacySemantics } from "./legacy.js";
import { miscSemantics } from "./misc.js";
import { moveSemantics } from "./move.js";
import { crSemantics } from "./cr.js";
import { farSemantics } from "./far.js";
import { msrSemantics } from "./msr.js";
import { segmentSemantics } from "./segments.js";
import { syscallSemantics } from "./syscall.js";
import { systemSemantics } from "./system.js";
import { stringSemantics } from "./string.js";
import { simdSemantics } from "./sse.js";

export const semantics: SemanticsTable = {
  ...aluSemantics,
  ...controlSemantics,
  ...moveSemantics,
  ...miscSemantics,
  ...stringSemantics,
  ...bitSemantics,
  ...atomicSemantics,
  ...legacySemantics,
  // System ISA (issue #3). Last: segmentSemantics wraps move.ts's POP for the Sreg forms.
  ...systemSemantics,
  ...crSemantics,
  ...msrSemantics,
  ...syscallSemantics,
  ...farSemantics,
  ...segmentSemantics,
  // MMX, SSE..SSE4.2, x87, FXSAVE/XSAVE (issue #3)
  ...simdSemantics,
};
