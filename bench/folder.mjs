// A folder of real patches reviewed in one invocation
// (`reclaim-review review --format json FILE...`, diff only) against a bare
// Node process that only reads the same files: wall and CPU (user+sys) of
// each, median of `runs` fresh processes. The patches are not part of this
// project: give folders in BENCH_FOLDERS (colon-separated), else the unseen
// evaluation sets under /work/eval-data are used when present (their .patch
// files only, never their labels); the first `count` files in name order.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_FOLDERS = ["unseen-dev", "unseen-dev2", "holdout", "holdout2"].map((d) => join("/work/eval-data", d));

// the child's own CPU time, written to fd 3 when it exits
const CPU_PRELOAD = `data:text/javascript,${encodeURIComponent(
  'import{writeSync}from"node:fs";process.on("exit",()=>{const c=process.cpuUsage();try{writeSync(3,JSON.stringify(c))}catch{}})',
)}`;
const BARE = `data:text/javascript,${encodeURIComponent('import{readFileSync}from"node:fs";let n=0;for(const f of process.argv.slice(2))n+=readFileSync(f).length;console.log(n)')}`;

function timed(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", CPU_PRELOAD, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe", "pipe"], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.slice(0, 2).join(" ")}: exit ${r.status}: ${r.stderr}`);
  const cpu = JSON.parse(r.output[3] || "{}");
  return { ms, cpuMs: ((cpu.user ?? NaN) + (cpu.system ?? NaN)) / 1000, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export async function benchFolder({ count = Number(process.env.BENCH_FOLDER_COUNT ?? 165), runs = 5 } = {}) {
  const folders = process.env.BENCH_FOLDERS ? process.env.BENCH_FOLDERS.split(":") : DEFAULT_FOLDERS.filter((d) => existsSync(d));
  const files = folders
    .filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".patch")).map((f) => join(d, f)))
    .sort((a, b) => a.split("/").pop().localeCompare(b.split("/").pop()))
    .slice(0, count);
  if (files.length === 0) return { skipped: "no patch folder (set BENCH_FOLDERS)" };
  const cli = join(root, "bin", "reclaim-review.js");
  const bare = [];
  const tool = [];
  let reviews = 0;
  for (let i = 0; i < runs; i++) {
    bare.push(timed([BARE, ...files]));
    const t = timed([cli, "review", "--format", "json", "--fail-on", "never", ...files]);
    reviews = JSON.parse(t.stdout).patches.length;
    tool.push(t);
  }
  const bareMs = median(bare.map((x) => x.ms));
  const toolMs = median(tool.map((x) => x.ms));
  return {
    files: files.length,
    reviews,
    runs,
    reviewMs: Math.round(toolMs),
    reviewCpuMs: Math.round(median(tool.map((x) => x.cpuMs))),
    bareMs: Math.round(bareMs),
    bareCpuMs: Math.round(median(bare.map((x) => x.cpuMs))),
    ratio: +(toolMs / bareMs).toFixed(2),
  };
}
