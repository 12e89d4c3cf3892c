// A rule that fails on every patch it sees, registered next to the real
// ones by the tests that check a rule failure is loud in each channel.
import type { Rule } from "../../src/types.js";

export const THROWS_MESSAGE = "cannot read properties of undefined (reading 'hunks')";

export const throwingRule: Rule = {
  meta: {
    id: "always-throws",
    class: "gfp-context",
    severity: "warning",
    description: "a rule that fails on every patch",
    docs: { why: "it is broken", fix: "none" },
    messages: { never: "never reported" },
    knowledge: [],
    scope: "line",
  },
  check() {
    throw new TypeError(THROWS_MESSAGE);
  },
};
