// The line helpers live with the analysis (src/context/c-lines.ts); rules import them from here.
export * from "../../context/c-lines.js";
