// Kept in step with package.json by test/parity.test.ts.
export const VERSION = "0.1.0";
export const TOOL = "reclaim-review" as const;
