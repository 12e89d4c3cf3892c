// Whether the conditions a call sits under (FlowEvent.conds and .guards)
// make it run only for an inode without links (vocabulary EVICT_UNLINKED):
// a conjunct `!x->i_nlink` or `x->i_nlink == 0`, an early exit `if
// (x->i_nlink || ...) goto out;` (its guard is the negation), or a local
// assigned once from such a test (`bool delete = !inode->i_nlink && ...;`).
// Anything else says nothing. Pure: texts in, verdict out.
import { EVICT_UNLINKED } from "../vocab/kernel-api.js";
import { operands, stripParens } from "./feasible.js";

const PATH = "[A-Za-z_][\\w.>()-]*?";
const FIELD = EVICT_UNLINKED.field;
/** `x->i_nlink` (the count itself, read as "has links"), and the tests that say it is zero. */
const HAS_LINKS = new RegExp(`^${PATH}(?:->|\\.)${FIELD}(?:!=0|>0)?$`);
const NO_LINKS = new RegExp(`^(?:!${PATH}(?:->|\\.)${FIELD}|${PATH}(?:->|\\.)${FIELD}==0|0==${PATH}(?:->|\\.)${FIELD})$`);

/** The condition (as given) that holds only for an inode without links, or null. */
export function unlinkedOnly(conds: readonly string[], fnText: string): string | null {
  for (const c of conds) if (implies(c.replace(/\s+/g, ""), fnText, 0)) return c;
  return null;
}

function implies(raw: string, text: string, depth: number): boolean {
  const x = stripParens(raw);
  const cs = operands(x, "&&");
  if (cs.length > 1) return cs.some((c) => implies(c, text, depth));
  // a || b holds for an inode without links only when both do
  const ds = operands(x, "||");
  if (ds.length > 1) return ds.every((d) => implies(d, text, depth));
  if (NO_LINKS.test(x)) return true;
  if (x.startsWith("!")) {
    // !(a || b): every disjunct is false, so a test "has links" among them means none
    const rest = x.slice(1);
    const inner = stripParens(rest);
    if (inner === rest) return HAS_LINKS.test(rest);
    return operands(inner, "&&").length === 1 && operands(inner, "||").some((d) => HAS_LINKS.test(d));
  }
  if (depth < 2 && /^[A-Za-z_]\w*$/.test(x)) {
    const rhs = onlyAssignment(text, x);
    return rhs !== null && implies(rhs, text, depth + 1);
  }
  return false;
}

/** The value of a local assigned exactly once in the text (declaration or statement), address never taken; else null. */
function onlyAssignment(text: string, name: string): string | null {
  const any = new RegExp(`(?:&\\s*${name}\\b|\\b${name}\\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|\\b${name}\\s*(?:\\+\\+|--)|(?:\\+\\+|--)\\s*${name}\\b)`, "g");
  const hits = text.match(any) ?? [];
  if (hits.length !== 1) return null;
  const m = new RegExp(`\\b${name}\\s*=(?!=)\\s*([^;]+);`).exec(text);
  return m ? m[1]!.replace(/\s+/g, "") : null;
}
