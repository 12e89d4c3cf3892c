// Review configuration: which rules run, at which severity, on which paths,
// and which fingerprints are suppressed. Shared by the CLI (--config FILE),
// the GitHub App (.github/reclaim-review.yml) and the mail bot (per list).
import { createRequire } from "node:module";
import type { z as Z } from "zod";
import { readFileSync } from "node:fs";
import { ConfigError, UsageError, errorMessage } from "./errors.js";
import type { Severity } from "./types.js";

// zod is loaded on first use: reviewing one patch without a config file
// should not pay for it at start-up.
const require = createRequire(import.meta.url);

function buildSchema(z: typeof Z) {
  const severity = z.enum(["error", "warning", "info"]);

const ruleSetting = z.union([
  z.boolean(),
  z.enum(["off", "on"]),
  severity,
  z
    .object({
      enabled: z.boolean().optional(),
      severity: severity.optional(),
      // read only to refuse it by name: no rule takes options (see parseConfig)
      options: z.unknown().optional(),
    })
    .strict(),
]);

  return z
  .object({
    /** rule id -> true/false/"off"/"on"/severity/{enabled, severity} */
    rules: z.record(z.string(), ruleSetting).default({}),
    paths: z
      .object({
        include: z.array(z.string()).default([]),
        exclude: z.array(z.string()).default([]),
      })
      .strict()
      .default({ include: [], exclude: [] }),
    /** Fingerprints suppressed (from "/reclaim-review ignore" or a config file). */
    ignore: z.array(z.string()).default([]),
    /** Input size limit in bytes (default 50 MB). */
    maxInputBytes: z.number().int().positive().default(50 * 1024 * 1024),
  })
  .strict();
}

let schema: ReturnType<typeof buildSchema> | undefined;

/** The zod schema of a review config (built on first use). */
export function reviewConfigSchema(): ReturnType<typeof buildSchema> {
  schema ??= buildSchema((require("zod") as { z: typeof Z }).z);
  return schema;
}

export type ReviewConfigInput = Z.input<ReturnType<typeof buildSchema>>;

export interface RuleSetting {
  enabled: boolean;
  severity?: Severity;
  /** Always {}: no rule takes options, so a config that sets them is refused (parseConfig). */
  options: Record<string, unknown>;
}

export interface ReviewConfig {
  rules: Record<string, RuleSetting>;
  paths: { include: string[]; exclude: string[] };
  ignore: string[];
  maxInputBytes: number;
}

export const DEFAULT_CONFIG: ReviewConfig = {
  rules: {},
  paths: { include: [], exclude: [] },
  ignore: [],
  maxInputBytes: 50 * 1024 * 1024,
};

/** Validates an already-parsed config object (YAML/JSON). Throws ConfigError naming the key. */
export function parseConfig(raw: unknown, knownRules?: readonly string[]): ReviewConfig {
  const parsed = reviewConfigSchema().safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join(".") || "(top level)";
    throw new ConfigError(issue.message, key);
  }
  const rules: Record<string, RuleSetting> = {};
  for (const [id, setting] of Object.entries(parsed.data.rules)) {
    if (knownRules && !knownRules.includes(id)) {
      throw new ConfigError(`unknown rule "${id}" (see \`reclaim-review rules\`)`, `rules.${id}`);
    }
    if (typeof setting === "boolean") rules[id] = { enabled: setting, options: {} };
    else if (setting === "off" || setting === "on") rules[id] = { enabled: setting === "on", options: {} };
    else if (typeof setting === "string") rules[id] = { enabled: true, severity: setting, options: {} };
    else {
      // an option no rule reads would be a setting that silently does nothing
      if (setting.options !== undefined) {
        throw new ConfigError(`rule "${id}" takes no options (only enabled and severity can be set)`, `rules.${id}.options`);
      }
      rules[id] = { enabled: setting.enabled ?? true, severity: setting.severity, options: {} };
    }
  }
  return {
    rules,
    paths: parsed.data.paths,
    ignore: parsed.data.ignore,
    maxInputBytes: parsed.data.maxInputBytes,
  };
}

/** Shell-style glob ("drivers/md/**", "*.c", "fs/xfs/*") to RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        re += ".*";
        i++;
        if (glob[i + 1] === "/") i++;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // A pattern without a slash matches the base name anywhere (like .gitignore).
  return glob.includes("/") ? new RegExp(`^${re}$`) : new RegExp(`(^|/)${re}$`);
}

/** Whether a file path is reviewed under the config's include/exclude lists. */
export function pathSelected(config: ReviewConfig, path: string): boolean {
  const { include, exclude } = config.paths;
  if (include.length > 0 && !include.some((g) => globToRegExp(g).test(path))) return false;
  return !exclude.some((g) => globToRegExp(g).test(path));
}

/**
 * Reads a YAML configuration file: UsageError when it cannot be read,
 * ConfigError (naming the file) when it is not YAML. An empty file is {}.
 */
export function readYamlFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read config ${path}: ${errorMessage(err)}`);
  }
  try {
    return (require("yaml") as { parse: (t: string) => unknown }).parse(text) ?? {};
  } catch (err) {
    throw new ConfigError(`not YAML: ${errorMessage(err)}`, path);
  }
}
