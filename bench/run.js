#!/usr/bin/env node
// npm run bench: every benchmark, each in its own process so that peak RSS
// figures are its own. `node bench/run.js --only review|startup|folder|context|audit|github|mail|history`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;

async function runOne(name) {
  switch (name) {
    case "review": {
      const { benchReview } = await import("./review.mjs");
      return benchReview({ count: Number(process.env.BENCH_PATCHES ?? 5000) });
    }
    case "startup": {
      const file = join(root, "examples", "fooblk-queue-rq-alloc.patch");
      // the child's own CPU time (user+sys), written to fd 3 as it exits
      const preload = `data:text/javascript,${encodeURIComponent('import{writeSync}from"node:fs";process.on("exit",()=>{const c=process.cpuUsage();try{writeSync(3,JSON.stringify(c))}catch{}})')}`;
      const times = [];
      const cpu = [];
      for (let i = 0; i < 15; i++) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(process.execPath, ["--import", preload, join(root, "bin", "reclaim-review.js"), "review", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe", "pipe"] });
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.status === 2) throw new Error(r.stderr);
        const c = JSON.parse(r.output[3] || "{}");
        cpu.push(((c.user ?? NaN) + (c.system ?? NaN)) / 1000);
      }
      times.sort((a, b) => a - b);
      cpu.sort((a, b) => a - b);
      return { runs: times.length, medianMs: Math.round(times[7]), p90Ms: Math.round(times[13]), minMs: Math.round(times[0]), cpuMedianMs: Math.round(cpu[7]) };
    }
    default: {
      const mod = join(here, `${name}.mjs`);
      if (!existsSync(mod)) return { skipped: `bench/${name}.mjs not present` };
      const m = await import(mod);
      const fn = m.default ?? m.run ?? Object.values(m).find((v) => typeof v === "function");
      return fn();
    }
  }
}

if (only) {
  const res = await runOne(only);
  process.stdout.write(JSON.stringify(res) + "\n");
} else {
  const names = ["review", "startup", "folder", "context", "history", "audit", "github", "mail"];
  const results = {};
  for (const n of names) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--only", n], { encoding: "utf8", cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const last = r.stdout.trim().split("\n").pop() ?? "";
    try {
      results[n] = JSON.parse(last);
    } catch {
      results[n] = { failed: `exit ${r.status}`, output: r.stdout.slice(-500) };
    }
    process.stdout.write(`${n.padEnd(8)} ${JSON.stringify(results[n])}\n`);
  }
}
