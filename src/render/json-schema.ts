// JSON Schema (draft-07) of the --format json document: the DESIGN.md
// contract. Closed objects (additionalProperties: false), so a renamed or
// extra field fails validation; tools reading our output can use it too.

const nullableString = { type: ["string", "null"] } as const;

export const CITATION_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["id", "title", "url"],
  properties: {
    id: { type: "string", minLength: 1 },
    title: { type: "string" },
    url: { type: "string", pattern: "^https?://" },
    commit: { type: "string", pattern: "^[0-9a-f]{12}$" },
  },
} as const;

export const FINDING_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["rule", "class", "severity", "file", "line", "message", "fingerprint", "citations"],
  properties: {
    rule: { type: "string", pattern: "^[a-z0-9]+(-[a-z0-9]+)*$" },
    class: { enum: ["gfp-context", "workqueue-reclaim", "shrinker-io", "io-flusher", "stacked-io"] },
    severity: { enum: ["error", "warning", "info"] },
    file: nullableString,
    line: { type: ["integer", "null"], minimum: 1 },
    message: { type: "string", minLength: 1 },
    fingerprint: { type: "string", minLength: 1 },
    citations: { type: "array", items: CITATION_SCHEMA },
    preExisting: { const: true },
    localHistory: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["commit", "subject", "date", "url"],
        properties: {
          commit: { type: "string", pattern: "^[0-9a-f]{7,40}$" },
          subject: { type: "string" },
          date: { type: "string" },
          url: { type: ["string", "null"] },
        },
      },
    },
  },
  // a patch-level finding has neither file nor line; a line finding has both
  if: { properties: { file: { type: "null" } } },
  then: { properties: { line: { type: "null" } } },
  else: { properties: { line: { type: "integer" } } },
} as const;

const sha = { type: "string", pattern: "^[0-9a-f]{4,64}$" } as const;

/** The optional per-patch `context` (a review with --tree): the tree, each touched file's pre-image, the kernel release. */
const CONTEXT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["base", "files"],
  properties: {
    base: {
      type: "object",
      additionalProperties: false,
      required: ["commit", "from"],
      properties: {
        commit: { oneOf: [sha, { type: "null" }] },
        from: { enum: ["base-commit", "guessed", "head", "worktree", "pr-base"] },
      },
    },
    files: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["path", "from"],
        properties: {
          path: { type: "string" },
          from: { enum: ["blob", "series", "base-commit", "worktree", "none"] },
          commit: sha,
          blob: sha,
          patch: { type: "integer", minimum: 1 },
          missingBlob: sha,
        },
      },
    },
    kernel: {
      type: "object",
      additionalProperties: false,
      required: ["major", "minor", "from"],
      properties: {
        major: { type: "integer" },
        minor: { type: "integer" },
        from: { enum: ["tree", "base-commit", "default"] },
      },
    },
  },
} as const;

export const REVIEW_JSON_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "reclaim-review --format json",
  type: "object",
  additionalProperties: false,
  required: ["tool", "version", "patches", "problems"],
  properties: {
    tool: { const: "reclaim-review" },
    version: { type: "string", pattern: "^\\d+\\.\\d+\\.\\d+" },
    patches: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["source", "subject", "messageId", "files", "findings", "notes", "errors"],
        properties: {
          source: { type: "string" },
          subject: { type: "string" },
          messageId: nullableString,
          files: { type: "array", items: { type: "string" } },
          findings: { type: "array", items: FINDING_SCHEMA },
          notes: { type: "array", items: { type: "string" } },
          context: CONTEXT_SCHEMA,
          omitted: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["rule", "count"],
              properties: { rule: { type: "string" }, count: { type: "integer", minimum: 1 } },
            },
          },
          errors: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["rule", "message"],
              properties: { rule: { type: "string" }, message: { type: "string" } },
            },
          },
        },
      },
    },
    problems: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["source", "message"],
        properties: { source: { type: "string" }, message: { type: "string" } },
      },
    },
  },
} as const;
