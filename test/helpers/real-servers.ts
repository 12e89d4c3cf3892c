// Tests against real servers (Dovecot, the built bot as a process) skip
// where the server cannot run on a developer's machine, and say why; under
// CI=true they may not: a missing server fails the run with the reason, so a
// green CI always means the real-server tests ran.
import { describe, it } from "vitest";

export function ciStrict(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
}

/** describe(name, fn) when `why` is null; otherwise a skip with the reason, or under CI one failing test carrying it. */
export function describeWithServers(name: string, why: string | null, fn: () => void): void {
  if (why === null) {
    describe(name, fn);
    return;
  }
  if (ciStrict()) {
    describe(name, () => {
      it("cannot run", () => {
        throw new Error(`${why} (CI is set: a test that needs a real server fails instead of skipping)`);
      });
    });
    return;
  }
  console.warn(`${name}: skipped: ${why}`);
  describe.skip(`${name} (skipped: ${why})`, fn);
}
