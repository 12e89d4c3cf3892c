// Templates are data: templates/<format>/<name>.mustache under the package
// root, read synchronously once (on first use) and cached. Layout and words
// live there; wrapping, quoting and escaping stay in the TypeScript renderers.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { packageRoot } from "../paths.js";

let cache: Map<string, string> | null = null;

function loadAll(): Map<string, string> {
  const root = join(packageRoot(), "templates");
  const out = new Map<string, string>();
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(root, dir.name))) {
      if (!f.endsWith(".mustache")) continue;
      out.set(`${dir.name}/${f.slice(0, -".mustache".length)}`, readFileSync(join(root, dir.name, f), "utf8"));
    }
  }
  return out;
}

/** The text of templates/<name>.mustache ("email/body"); throws when it is missing. */
export function template(name: string): string {
  cache ??= loadAll();
  const t = cache.get(name);
  if (t === undefined) throw new Error(`template ${name}.mustache not found under ${join(packageRoot(), "templates")}`);
  return t;
}

const noEscape = { escape: (s: unknown) => String(s) };

/** Fills a template; values go in verbatim (each renderer escapes for its own channel first). */
export function fill(name: string, view: object): string {
  return Mustache.render(template(name), view, (partial) => template(partial), noEscape);
}

/** A one-line template ("sentence"), with its trailing newline removed. */
export function sentence(name: string, view: object): string {
  return fill(name, view).replace(/\s+$/, "");
}
