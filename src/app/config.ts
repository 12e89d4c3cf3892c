// Repository configuration, `.github/reclaim-review.yml` on the default
// branch: the core review config (rules, paths, ignore: src/config.ts) plus a
// `github:` section for what only the app does. Validated with zod; an error
// names the key (ConfigError.key) so the check run can say which one is wrong.
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { parseConfig, type ReviewConfig } from "../config.js";
import { ConfigError } from "../errors.js";

export const CONFIG_PATH = ".github/reclaim-review.yml";

export const githubSettingsSchema = z
  .object({
    /** Inline comments per review; the rest go to the check run summary. */
    maxInlineComments: z.number().int().min(0).max(100).default(25),
    /** Publish only the check run, never a review. */
    checkOnly: z.boolean().default(false),
    /** Review draft pull requests too. */
    reviewDrafts: z.boolean().default(false),
    /** Review pull requests opened or pushed by bots. */
    reviewBots: z.boolean().default(false),
    /** Lowest severity that is posted (info: "worth knowing" notes too). */
    minSeverity: z.enum(["error", "warning", "info"]).default("warning"),
    /** Lowest severity of a new finding that makes the check run fail. */
    failOn: z.enum(["error", "warning", "info", "never"]).default("error"),
  })
  .strict();

export type GitHubSettings = z.output<typeof githubSettingsSchema>;

export interface AppConfig {
  review: ReviewConfig;
  github: GitHubSettings;
  /** Where it came from: "owner/repo:.github/reclaim-review.yml", or "defaults". */
  origin: string;
}

export const DEFAULT_GITHUB_SETTINGS: GitHubSettings = githubSettingsSchema.parse({});

/** Validates the parsed YAML document. Throws ConfigError naming the key. */
export function parseAppConfig(raw: unknown, knownRules: readonly string[], origin: string): AppConfig {
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError("expected a mapping of keys (rules, paths, ignore, github)", "(top level)");
  const { github, ...core } = raw as Record<string, unknown>;
  const parsed = githubSettingsSchema.safeParse(github ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = ["github", ...issue.path.map(String)].join(".");
    throw new ConfigError(issue.message, key);
  }
  const review = parseConfig(core, knownRules);
  return { review, github: parsed.data, origin };
}

/** Parses the YAML text; syntax errors are reported with their line. */
export function parseAppConfigText(text: string, knownRules: readonly string[], origin: string): AppConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0]?.line;
      throw new ConfigError(`not valid YAML: ${err.message.split("\n")[0]}`, line ? `(syntax, line ${line})` : "(syntax)");
    }
    throw new ConfigError(`not valid YAML: ${String(err)}`, "(syntax)");
  }
  return parseAppConfig(raw, knownRules, origin);
}
