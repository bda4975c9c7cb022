/**
 * The MMX/SSE/x87/FXSAVE family's semantics tables, gathered for semantics/index.ts.
 */

import type { SemanticsTable } from "../translate.js";
import { sseCvtSemantics } from "./sse-cvt.js";
import { sseFpSemantics } from "./sse-fp.js";
import { sseIntSemantics } from "./sse-int.js";
import { sseMoveSemantics } from "./sse-move.js";
import { sseStrSemantics } from "./sse-str.js";
import { x87Semantics } from "./x87.js";
import { xsaveSemantics } from "./xsave.js";

export const simdSemantics: SemanticsTable = {
  ...sseIntSemantics,
  ...sseFpSemantics,
  ...sseMoveSemantics,
  ...sseCvtSemantics,
  ...sseStrSemantics,
  ...x87Semantics,
  ...xsaveSemantics,
};
