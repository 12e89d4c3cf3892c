// Output edge: a ReviewResult in each channel's words.
import type { ReviewResult, RuleMeta } from "../types.js";
import { renderB4 } from "./b4.js";
import { renderEmail } from "./email.js";
import { resultVisible } from "./escape.js";
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";
import { renderSarif } from "./sarif.js";
import { renderText } from "./text.js";

export { renderEmailBody, type EmailOptions } from "./email.js";
export { renderFindingMarkdown } from "./markdown.js";
export { renderFindingText } from "./text.js";
export { toSarif } from "./sarif.js";
export { toB4, type B4Check } from "./b4.js";
export { toJsonDocument } from "./json.js";

export const FORMATS = ["text", "json", "sarif", "email", "markdown", "b4"] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  /** ANSI colour in text output (the CLI sets it on a TTY without NO_COLOR). */
  color?: boolean;
  /** Text only: one checkpatch --terse line per finding. */
  terse?: boolean;
  /** Rule metadata for SARIF descriptors (default: every registered rule). */
  rules?: readonly RuleMeta[];
}

export function render(result: ReviewResult, format: Format, opts: RenderOptions = {}): string {
  switch (format) {
    // patch-derived strings reach terminals and mail readers with their control characters shown escaped
    case "text":
      return renderText(resultVisible(result), { color: opts.color, terse: opts.terse });
    case "json":
      return renderJson(result);
    case "sarif":
      return renderSarif(result, { rules: opts.rules });
    case "email":
      return renderEmail(resultVisible(result));
    case "markdown":
      return renderMarkdown(resultVisible(result));
    case "b4":
      return renderB4(result);
  }
}
