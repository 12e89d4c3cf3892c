// Repository configuration, `.github/reclaim-review.yml` on the default
// branch, read by probot's context.config() (the repository's file, else the
// owner's `.github` repository's, with `_extends:`): the core review config
// (rules, paths, ignore: src/config.ts) plus a `github:` section for what only
// the app does. Validated with zod; an error names the key (ConfigError.key)
// so the check run can say which one is wrong.
import { YAMLParseError } from "yaml";
import { z } from "zod";
import { DEFAULT_CONFIG, parseConfig, type ReviewConfig } from "../config.js";
import { ConfigError } from "../errors.js";

export const CONFIG_FILE = "reclaim-review.yml";
export const CONFIG_PATH = `.github/${CONFIG_FILE}`;

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
    /**
     * The pull request's author (without write access) may silence findings
     * on their own pull request, but only those below failOn: a finding
     * that fails the check needs someone with write access.
     */
    authorMaySuppress: z.boolean().default(true),
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

function syntaxError(err: YAMLParseError): ConfigError {
  const line = err.linePos?.[0]?.line;
  return new ConfigError(`not valid YAML: ${err.message.split("\n")[0]}`, line ? `(syntax, line ${line})` : "(syntax)");
}

/** What a handler's probot Context offers for reading the config. */
export interface ConfigContext {
  config(fileName: string): Promise<unknown>;
  repo(): { owner: string; repo: string };
}

/**
 * The repository's config through probot's context.config(); the defaults
 * when there is no file. A file that is not valid YAML, not a mapping, a
 * directory, or an `_extends` loop is a ConfigError naming what is wrong;
 * GitHub failing to answer is not (the review did not finish, and a
 * redelivery tries again).
 */
export async function loadAppConfig(context: ConfigContext, knownRules: readonly string[]): Promise<AppConfig> {
  const { owner, repo } = context.repo();
  let raw: unknown;
  try {
    raw = await context.config(CONFIG_FILE);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof YAMLParseError) throw syntaxError(cause);
    const msg = err instanceof Error ? err.message : String(err);
    if (msg.startsWith("[@probot/octokit-plugin-config]")) {
      const what = msg.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "");
      throw new ConfigError(/is not an object/.test(what) ? "expected a mapping of keys (rules, paths, ignore, github)" : what, /is not an object/.test(what) ? "(top level)" : "(file)");
    }
    throw err;
  }
  if (raw === null) return { review: DEFAULT_CONFIG, github: DEFAULT_GITHUB_SETTINGS, origin: `defaults (no ${CONFIG_PATH})` };
  const origin = repo === ".github" ? `${owner}/.github:${CONFIG_PATH}` : `${CONFIG_PATH} of ${owner}/${repo} or ${owner}/.github`;
  return parseAppConfig(raw, knownRules, origin);
}
