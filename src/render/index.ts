// Output edge: a ReviewResult in each channel's words.
import type { ReviewResult } from "../types.js";
import { renderJson } from "./json.js";

export const FORMATS = ["text", "json", "sarif", "email", "markdown", "b4"] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  color?: boolean;
}

export function render(result: ReviewResult, format: Format, _opts: RenderOptions = {}): string {
  switch (format) {
    case "json":
      return renderJson(result);
    default:
      return renderJson(result);
  }
}
