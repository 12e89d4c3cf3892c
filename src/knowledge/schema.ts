// Schema of one knowledge entry (knowledge/<id>.md: YAML front matter + the story as markdown body).
import { createRequire } from "node:module";
import type { z as Z } from "zod";
import { compareRelease, parseRelease, RELEASE_RE } from "./release.js";

// zod is required on first use only (start-up time of `review`): the
// knowledge base normally comes from the validated cache (see load.ts).
const require = createRequire(import.meta.url);

export const HAZARD_CLASSES = ["gfp-context", "workqueue-reclaim", "shrinker-io", "io-flusher", "stacked-io"] as const;

function build(z: typeof Z) {
const sha = z.string().regex(/^[0-9a-f]{12,40}$/, "a commit id: 12 to 40 lowercase hex digits");
const release = z.string().regex(RELEASE_RE, 'a mainline release: "v5.17"');

return z
  .object({
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "kebab-case"),
    title: z.string().min(5),
    kind: z.enum(["commit", "thread", "doc", "series"]),
    commits: z.array(z.object({ sha, subject: z.string().min(3) }).strict()).default([]),
    messageId: z.string().optional(),
    date: z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, "YYYY, YYYY-MM or YYYY-MM-DD"),
    release: release.optional(),
    /**
     * The kernel releases the entry's lesson holds for: from `since`
     * (inclusive) and before `until` (exclusive). An entry is never cited for
     * a review of a kernel its lesson does not hold for.
     */
    holds: z.object({ since: release.optional(), until: release.optional() }).strict().optional(),
    links: z.array(z.string().url()).min(1, "every entry needs at least one link"),
    classes: z.array(z.enum(HAZARD_CLASSES)).min(1),
    /** Path prefixes of the subsystem ("drivers/md/", "fs/nfs/"). */
    subsystems: z.array(z.string()).default([]),
    /** Identifiers that, seen in a hunk, make this entry relevant ("name*" matches by prefix). */
    triggers: z.array(z.string()).default([]),
    /**
     * The APIs, flags or functions the lesson is about (what it teaches
     * about them, not what merely appears in the story): a finding on one
     * of them is strong evidence, however many entries share the name.
     */
    apis: z.array(z.string()).default([]),
    lesson: z.string().min(20),
    advice: z.string().min(10),
    verified: z
      .object({
        status: z.enum(["verified", "partial"]),
        how: z.string().min(10),
        checked: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      })
      .strict(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.kind === "commit" || e.kind === "series") && e.commits.length === 0)
      ctx.addIssue({ code: "custom", path: ["commits"], message: `a ${e.kind} entry needs at least one commit` });
    const seen = new Set<string>();
    e.commits.forEach((c, i) => {
      for (const s of seen)
        if (s.startsWith(c.sha) || c.sha.startsWith(s)) ctx.addIssue({ code: "custom", path: ["commits", i, "sha"], message: `commit ${c.sha} is listed twice` });
      seen.add(c.sha);
    });
    const since = e.holds?.since ? parseRelease(e.holds.since) : null;
    const until = e.holds?.until ? parseRelease(e.holds.until) : null;
    if (since && until && compareRelease(since, until) >= 0)
      ctx.addIssue({ code: "custom", path: ["holds"], message: `holds.since ${e.holds!.since} is not before holds.until ${e.holds!.until}` });
    if (e.holds && !since && !until) ctx.addIssue({ code: "custom", path: ["holds"], message: "holds needs since, until or both" });
    for (const [i, l] of e.links.entries())
      if (!/^https?:\/\//.test(l)) ctx.addIssue({ code: "custom", path: ["links", i], message: "links must be http(s) URLs" });
  });
}

let schema: ReturnType<typeof build> | undefined;

/** The zod schema of an entry's front matter (built on first use). */
export function knowledgeEntrySchema(): ReturnType<typeof build> {
  schema ??= build((require("zod") as { z: typeof Z }).z);
  return schema;
}

export type KnowledgeEntry = Z.infer<ReturnType<typeof build>> & {
  /** The markdown body: the full story for `explain`. */
  story: string;
};
