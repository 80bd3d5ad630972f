// `pincheck check --workers N`: the exhaustive check with each target explored by N worker
// threads at once (explore_parallel.ts), targets in the serial order, so the result is the
// serial check's: the same states, transitions, guarded counts, coverage and counterexample.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { KernelConfig } from "../kernel/index.js";
import type { CatalogBounds } from "./catalog.js";
import type { CheckRun } from "./exhaustive.js";
import { check_run, check_targets, no_guarded, target_depth } from "./exhaustive.js";
import type { ExploreResult, Progress } from "./explore.js";
import type { Ended, ExpandNote, Request, Workers } from "./explore_parallel.js";
import { explore_parallel } from "./explore_parallel.js";
import type { MachineCoverage } from "./monitor.js";

/** What every worker is started with: check_worker.ts builds the same targets from it. */
export interface WorkerSetup {
  config: KernelConfig;
  bounds: CatalogBounds;
  only: string | undefined;
}

/** To a worker: a request, and whether to send notes while answering it. From a worker: a note or the answer. */
export interface WorkerRequest {
  req: Request;
  notes: boolean;
}
export type WorkerMessage = { kind: "note"; note: ExpandNote } | { kind: "answer"; answer: unknown };

// Run from the TypeScript sources (tsx, vitest), a worker first registers tsx's loader (its
// ESM API, next to the package's entry), then imports the worker module.
const worker_file = new URL(import.meta.url.endsWith(".ts") ? "./check_worker.ts" : "./check_worker.js", import.meta.url);
function start_worker(setup: WorkerSetup): Worker {
  if (!worker_file.pathname.endsWith(".ts")) return new Worker(worker_file, { workerData: setup });
  const tsx_api = new URL("./esm/api/index.mjs", pathToFileURL(createRequire(import.meta.url).resolve("tsx")));
  const boot = `import(${JSON.stringify(tsx_api.href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker_file.href)}); });`;
  return new Worker(boot, { eval: true, workerData: setup });
}

/** Worker threads answering one request at a time each, in order. */
class Pool implements Workers {
  private readonly threads: Worker[];
  private readonly waiting: { resolve(v: unknown): void; reject(e: unknown): void; note?: (n: ExpandNote) => void }[][];
  private failed: unknown = null;

  constructor(readonly size: number, setup: WorkerSetup) {
    this.threads = Array.from({ length: size }, () => start_worker(setup));
    this.waiting = this.threads.map(() => []);
    this.threads.forEach((t, w) => {
      t.on("message", (m: WorkerMessage) => {
        if (m.kind === "note") this.waiting[w][0]?.note?.(m.note);
        else this.waiting[w].shift()?.resolve(m.answer);
      });
      t.on("error", (e) => this.fail(e));
      t.on("exit", (code) => this.fail(new Error(`check worker ${w} exited with code ${code}`)));
    });
  }

  call<R>(w: number, req: Request, note?: (n: ExpandNote) => void): Promise<R> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<R>((resolve, reject) => {
      this.waiting[w].push({ resolve: resolve as (v: unknown) => void, reject, note });
      this.threads[w].postMessage({ req, notes: note !== undefined });
    });
  }

  private fail(e: unknown): void {
    this.failed ??= e;
    for (const q of this.waiting) for (const p of q.splice(0)) p.reject(this.failed);
  }

  async close(): Promise<void> {
    this.failed ??= new Error("pool closed");
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}

/** The exhaustive check on `workers` threads. */
export async function parallel_check(
  config: KernelConfig, depth: number, bounds: CatalogBounds, workers: number, progress?: (p: Progress) => void, only?: string,
): Promise<CheckRun> {
  const targets = check_targets(config, bounds, only);
  const guarded = no_guarded(targets);
  const results: ExploreResult<unknown, unknown>[] = [];
  const t0 = process.hrtime.bigint();
  const pool = new Pool(workers, { config, bounds, only });
  try {
    for (const [i, t] of targets.entries()) {
      const r = await explore_parallel(pool, i, t.model, target_depth(t, depth), progress);
      for (const e of await Promise.all(Array.from({ length: workers }, (_, w) => pool.call<Ended>(w, { op: "end" })))) {
        for (const [id, k] of e.guarded) guarded.set(id, (guarded.get(id) ?? 0) + k);
        for (const [m, c] of Object.entries(e.coverage ?? {})) {
          const mine = t.coverage![m as keyof MachineCoverage];
          for (const s of c.states) mine.states.add(s);
          for (const x of c.edges) mine.edges.add(x);
        }
      }
      results.push(r);
      if (r.trace) break;
    }
  } finally {
    await pool.close();
  }
  return check_run(targets, results, guarded, t0);
}
