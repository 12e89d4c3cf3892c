import { readdirSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/paths.js";
import { fill, sentence, template } from "../../src/render/templates.js";

describe("templates", () => {
  it("loads every template under templates/ and each one parses", () => {
    const root = join(packageRoot(), "templates");
    for (const dir of ["text", "email", "markdown", "sarif", "b4"]) {
      const files = readdirSync(join(root, dir)).filter((f) => f.endsWith(".mustache"));
      expect(files.length, dir).toBeGreaterThan(0);
      for (const f of files) expect(() => Mustache.parse(template(`${dir}/${f.replace(/\.mustache$/, "")}`))).not.toThrow();
    }
  });

  it("fills without HTML escaping and trims one-line templates", () => {
    expect(sentence("email/greeting", { name: "Zoë <&>" })).toBe("Hi Zoë <&>,");
    expect(fill("text/total", { error: 1, warning: 2, info: 0, patches: 3 })).toBe("total: 1 errors, 2 warnings, 0 info, 3 patches\n");
  });

  it("names a missing template", () => {
    expect(() => template("text/nope")).toThrow(/text\/nope\.mustache not found/);
  });
});
