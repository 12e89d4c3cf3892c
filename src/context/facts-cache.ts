// The facts of a file's text, computed once and shared by every patch that
// reads the same text (the neighbours of a directory, a base tree's files,
// the pre-image a series shares): extractFacts is pure in (path, text), and
// the C parse is most of a review's time. Bounded by the size of the texts
// whose facts are kept; results without the C parse (grammar not loaded
// yet) are not kept.
import { createHash } from "node:crypto";
import { extractFacts, type FileFacts } from "./extract.js";
import { registerMemo } from "./memos.js";

const MAX_CHARS = 6 * 1024 * 1024;

const cache = new Map<string, { facts: FileFacts; chars: number }>();
let chars = 0;
registerMemo("file facts", () => {
  cache.clear();
  chars = 0;
});

function keyOf(path: string, text: string, parse: boolean): string {
  return `${parse ? "f" : "l"}\0${path}\0${text.length}\0${createHash("sha1").update(text).digest("base64")}`;
}

/** extractFacts(path, text, opts), from the cache when the same text was seen. FileFacts are shared: never mutate them. */
export function cachedFacts(path: string, text: string, opts: { parse?: boolean } = {}): FileFacts {
  const parse = opts.parse !== false;
  const key = keyOf(path, text, parse);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit.facts;
  }
  const facts = extractFacts(path, text, opts);
  if (!parse || facts.parsed) {
    cache.set(key, { facts, chars: text.length });
    chars += text.length;
    while (chars > MAX_CHARS && cache.size > 1) {
      const [k, v] = cache.entries().next().value!;
      cache.delete(k);
      chars -= v.chars;
    }
  }
  return facts;
}
