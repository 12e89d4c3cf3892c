// Errors that the edges turn into one clear line (exit 2), never a stack trace.

/** The input is not something we can review (not a patch, truncated, bad charset, too big, empty). */
export class InputError extends Error {
  constructor(
    message: string,
    /** Where: "file.mbox#3", "<stdin>". */
    readonly source?: string,
  ) {
    super(source ? `${source}: ${message}` : message);
    this.name = "InputError";
  }
}

/** Bad command line or configuration. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A configuration file that does not validate: names the key. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(key ? `${key}: ${message}` : message);
    this.name = "ConfigError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
