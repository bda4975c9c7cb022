/**
 * The MMX/SSE/x87/FXSAVE family's semantics tables, gathered for semantics/index.ts.
 */

import type { SemanticsTable } from "../translate.js";
import { sseCvtSemantics } from "./sse-cvt.js";
import { sseFpSemantics } from "./sse-fp.js";
import { sseIntSemantics } from "./sse-int.js";
import { sseMoveSemantics } from "./sse-move.js";

export const simdSemantics: SemanticsTable = {
  ...sseIntSemantics,
  ...sseFpSemantics,
  ...sseMoveSemantics,
  ...sseCvtSemantics,
};
