// Litmus-style scenario files (scenarios/*.json): a declarative set-up, threads of steps from a
// small vocabulary of kernel calls, the outcome to look for, and the verdict expected per kernel
// era ("Never" | "Sometimes" | "Always" over the complete interleavings). This module validates
// a file (one-line errors naming the field and the allowed values), compiles it to a Scenario,
// and computes its verdict for an era by enumerating every complete path of the scenario model.
// The file format is documented in README.md ("Writing a scenario").
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { world_properties } from "../../properties/index.js";
import type { ReadOutcome, WorldView } from "../../properties/world_property.js";
import type { KernelConfig, World } from "../kernel/index.js";
import {
  BUGS, config_for, create_file, ERAS, era_ids, exit_mmap, filemap_get_folio, folio_end_writeback,
  folio_start_writeback, folio_test, fork_mm, init_async_kiocb, io_buffer_unmap, io_sqe_buffer_register,
  iomap_dio_rw, iov_iter_kvec, iov_iter_ubuf, kmalloc, madvise_pageout, MAP_PRIVATE, MAP_SHARED, mm_alloc,
  mmap_anon, mmap_file, munmap, PAGE_SIZE, PG_dirty, PG_writeback, pipe_create, pipe_read, PROT_READ, PROT_WRITE,
  READ, shrink_folio, user_access, vmsplice_to_pipe,
} from "../kernel/index.js";
import type { Model } from "./explore.js";
import { explore } from "./explore.js";
import { disk_pattern } from "./fixtures.js";
import { fixed_buffer_outcome, peek_disk, read_detail, read_mismatch } from "./peek.js";
import type { Scenario, ScenarioAction, ScenarioState, ThreadStep, Vars } from "./scenario.js";
import { describe_action, enabled_actions, initial_state, apply_action, quiescent } from "./scenario.js";
import { world_key } from "./world_key.js";

const HALF = PAGE_SIZE / 2;

export const VERDICTS = ["Never", "Sometimes", "Always"] as const;
export type Verdict = (typeof VERDICTS)[number];

export class LitmusError extends Error {}

// ---------------------------------------------------------------------------------------------
// The file format.

export type SetupItem =
  | { process: string; pages: number; fill: number }
  | { file: string; fs: "ext4" | "tmpfs"; pages: number; data: "pattern" | number }
  | { mapping: string; proc: string; file: string; share: "MAP_SHARED" | "MAP_PRIVATE"; pages: number; touch: "none" | "read" | "write" };

export interface Step {
  op: Op;
  proc?: string;
  child?: string;
  buf?: string;
  file?: string;
  page?: number;
  half?: number;
  byte?: number;
}

export type Outcome = { property: string } | { pipe_holds: { byte: number } };

export interface ExpectRow {
  era: string;
  bug?: string;
  verdict: Verdict;
}

export interface LitmusFile {
  id: string;
  title: string;
  description?: string;
  setup: SetupItem[];
  threads: { name: string; steps: Step[] }[];
  outcome: Outcome;
  expect: ExpectRow[];
}

/** The step vocabulary: op -> its required and optional fields. */
const OPS = {
  dio_read: { need: ["proc", "file", "page", "half"], may: ["buf"] },
  write: { need: ["proc", "page", "half", "byte"], may: ["buf"] },
  fork: { need: ["proc", "child"], may: [] },
  exit: { need: ["proc"], may: [] },
  munmap: { need: ["proc", "page"], may: ["buf"] },
  register_fixed: { need: ["proc", "page"], may: ["buf"] },
  unregister_fixed: { need: ["proc", "page"], may: ["buf"] },
  vmsplice: { need: ["proc", "page", "half"], may: ["buf"] },
  pipe_read: { need: [], may: [] },
  reclaim: { need: ["proc", "page"], may: ["buf"] },
  reclaim_file: { need: ["file", "page"], may: [] },
  writeback_start: { need: ["file", "page"], may: [] },
  writeback_end: { need: ["file", "page"], may: [] },
  sync: { need: ["file"], may: [] },
} as const;
export type Op = keyof typeof OPS;
export const OP_NAMES = Object.keys(OPS) as Op[];

const property_ids = (): string[] => world_properties.map((p) => p.id);

/** Validation with errors that name the file, the field and what it accepts. */
class Check {
  constructor(readonly file: string) {}
  fail(path: string, msg: string): never {
    throw new LitmusError(`${this.file}: ${path} ${msg}`);
  }
  obj(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, `must be an object, got ${show(v)}`);
    return v as Record<string, unknown>;
  }
  arr(v: unknown, path: string, min = 0): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `must be an array, got ${show(v)}`);
    if (v.length < min) this.fail(path, `must have at least ${min} item(s)`);
    return v;
  }
  str(o: Record<string, unknown>, k: string, path: string, what = "a string"): string {
    if (o[k] === undefined) this.fail(`${path}.${k}`, `is required (${what})`);
    if (typeof o[k] !== "string" || !(o[k] as string).length) this.fail(`${path}.${k}`, `must be ${what}, got ${show(o[k])}`);
    return o[k] as string;
  }
  one_of<T extends string>(o: Record<string, unknown>, k: string, path: string, allowed: readonly T[]): T {
    const list = allowed.join(", ");
    if (o[k] === undefined) this.fail(`${path}.${k}`, `is required (one of ${list})`);
    if (!allowed.includes(o[k] as T)) this.fail(`${path}.${k}`, `must be one of ${list}, got ${show(o[k])}`);
    return o[k] as T;
  }
  int(o: Record<string, unknown>, k: string, path: string, min: number, max: number, fallback?: number): number {
    if (o[k] === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(`${path}.${k}`, `is required (an integer from ${min} to ${max})`);
    }
    const n = o[k];
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) this.fail(`${path}.${k}`, `must be an integer from ${min} to ${max}, got ${show(n)}`);
    return n;
  }
  fields(o: Record<string, unknown>, path: string, allowed: readonly string[], what: string): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(path, `has unknown field '${k}' (fields of ${what}: ${allowed.join(", ")})`);
  }
}

const show = (v: unknown): string => (typeof v === "string" ? `'${v}'` : v === undefined ? "nothing" : JSON.stringify(v));

/** Validate parsed JSON as a litmus file; `file` names it in errors. */
export function validate_litmus(raw: unknown, file: string): LitmusFile {
  const c = new Check(file);
  const o = c.obj(raw, "the file");
  c.fields(o, "the file", ["id", "title", "description", "setup", "threads", "outcome", "expect"], "a scenario");
  const id = c.str(o, "id", "file", "a scenario id such as dio-read-vs-fork");
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) c.fail("id", `must be lower-case letters, digits and '-', got ${show(id)}`);
  const title = c.str(o, "title", "file");
  const description = o.description === undefined ? undefined : c.str(o, "description", "file");

  // Set-up: names of processes (with their anonymous buffer), files, mappings.
  const procs = new Set<string>();
  const files = new Map<string, "ext4" | "tmpfs">();
  const bufs = new Map<string, { owner: string; pages: number }>();
  const setup: SetupItem[] = c.arr(o.setup, "setup", 1).map((x, i) => {
    const p = `setup[${i}]`;
    const it = c.obj(x, p);
    const fresh = (name: string, k: string) => {
      if (procs.has(name) || files.has(name) || bufs.has(name)) c.fail(`${p}.${k}`, `names '${name}' twice (process, file and mapping names must be distinct)`);
    };
    if (it.process !== undefined) {
      c.fields(it, p, ["process", "pages", "fill"], "a process");
      const name = c.str(it, "process", p, "a process name");
      fresh(name, "process");
      const pages = c.int(it, "pages", p, 1, 4, 1);
      procs.add(name);
      bufs.set(name, { owner: name, pages });
      return { process: name, pages, fill: c.int(it, "fill", p, 0, 255, 0xaa) };
    }
    if (it.file !== undefined && it.mapping === undefined) {
      c.fields(it, p, ["file", "fs", "pages", "data"], "a file");
      const name = c.str(it, "file", p, "a file name");
      fresh(name, "file");
      const fs = c.one_of(it, "fs", p, ["ext4", "tmpfs"] as const);
      const pages = c.int(it, "pages", p, 1, 4, 1);
      let data: "pattern" | number = "pattern";
      if (it.data !== undefined && it.data !== "pattern") data = c.int(it, "data", p, 0, 255);
      files.set(name, fs);
      return { file: name, fs, pages, data };
    }
    if (it.mapping !== undefined) {
      c.fields(it, p, ["mapping", "proc", "file", "share", "pages", "touch"], "a mapping");
      const name = c.str(it, "mapping", p, "a mapping name");
      fresh(name, "mapping");
      const proc = c.one_of(it, "proc", p, [...procs]);
      const file = c.one_of(it, "file", p, [...files.keys()]);
      const share = c.one_of(it, "share", p, ["MAP_SHARED", "MAP_PRIVATE"] as const);
      const pages = c.int(it, "pages", p, 1, 4, 1);
      const touch = it.touch === undefined ? "read" : c.one_of(it, "touch", p, ["none", "read", "write"] as const);
      bufs.set(name, { owner: proc, pages });
      return { mapping: name, proc, file, share, pages, touch };
    }
    return c.fail(p, "must have one of the fields process, file, mapping");
  });

  // Threads. A forked child inherits its parent's buffers (same addresses).
  const home = new Map<string, string>([...procs].map((p) => [p, p]));
  const thread_names = new Set<string>();
  const threads = c.arr(o.threads, "threads", 1).map((x, t) => {
    const tp = `threads[${t}]`;
    const th = c.obj(x, tp);
    c.fields(th, tp, ["name", "steps"], "a thread");
    const name = c.str(th, "name", tp, "a thread name");
    if (thread_names.has(name)) c.fail(`${tp}.name`, `repeats the thread name '${name}'`);
    thread_names.add(name);
    const steps = c.arr(th.steps, `${tp}.steps`, 1).map((y, k) => {
      const sp = `${tp}.steps[${k}]`;
      const st = c.obj(y, sp);
      const op = c.one_of(st, "op", sp, OP_NAMES);
      const spec = OPS[op];
      c.fields(st, sp, ["op", ...spec.need, ...spec.may], op);
      const need = new Set<string>(spec.need);
      const out: Step = { op };
      if (need.has("child")) {
        const child = c.str(st, "child", sp, "a new process name");
        if (home.has(child) || files.has(child) || bufs.has(child)) c.fail(`${sp}.child`, `names '${child}' twice (a fork's child needs a new name)`);
        out.child = child;
      }
      if (need.has("proc")) out.proc = c.one_of(st, "proc", sp, [...home.keys()]);
      if (out.child) home.set(out.child, home.get(out.proc!)!);
      if (need.has("file")) out.file = c.one_of(st, "file", sp, [...files.keys()]);
      if (spec.may.includes("buf" as never)) {
        out.buf = st.buf === undefined ? home.get(out.proc!)! : c.one_of(st, "buf", sp, [...bufs.keys()]);
      }
      const max_page = out.buf ? bufs.get(out.buf)!.pages - 1 : 3;
      if (need.has("page")) out.page = c.int(st, "page", sp, 0, max_page);
      if (need.has("half")) out.half = c.int(st, "half", sp, 0, 1);
      if (need.has("byte")) out.byte = c.int(st, "byte", sp, 0, 255);
      return out;
    });
    return { name, steps };
  });
  for (const [t, th] of threads.entries())
    for (const [k, s] of th.steps.entries())
      if (s.op === "dio_read" && files.get(s.file!) !== "ext4")
        c.fail(`threads[${t}].steps[${k}].file`, `must name an ext4 file for dio_read (tmpfs has no O_DIRECT to a device), got '${s.file}'`);

  // Outcome.
  const oc = c.obj(o.outcome, "outcome");
  let outcome: Outcome;
  if (oc.property !== undefined) {
    c.fields(oc, "outcome", ["property"], "an outcome");
    outcome = { property: c.one_of(oc, "property", "outcome", property_ids()) };
  } else if (oc.pipe_holds !== undefined) {
    c.fields(oc, "outcome", ["pipe_holds"], "an outcome");
    const ph = c.obj(oc.pipe_holds, "outcome.pipe_holds");
    c.fields(ph, "outcome.pipe_holds", ["byte"], "pipe_holds");
    outcome = { pipe_holds: { byte: c.int(ph, "byte", "outcome.pipe_holds", 0, 255) } };
  } else c.fail("outcome", `must have the field property (one of ${property_ids().join(", ")}) or pipe_holds ({"byte": N})`);

  // Expected verdicts.
  const seen = new Set<string>();
  const expect = c.arr(o.expect, "expect", 1).map((x, i) => {
    const p = `expect[${i}]`;
    const r = c.obj(x, p);
    c.fields(r, p, ["era", "bug", "verdict"], "an expectation");
    const era = c.one_of(r, "era", p, era_ids());
    const bug = r.bug === undefined ? undefined : c.one_of(r, "bug", p, BUGS.map((b) => b.id));
    const verdict = c.one_of(r, "verdict", p, VERDICTS);
    const key = `${era}+${bug ?? ""}`;
    if (seen.has(key)) c.fail(p, `repeats era '${era}'${bug ? ` with bug '${bug}'` : ""}`);
    seen.add(key);
    return bug ? { era, bug, verdict } : { era, verdict };
  });
  return { id, title, ...(description ? { description } : {}), setup, threads, outcome: outcome!, expect };
}

/** Read, parse and validate a scenario file. */
export function load_litmus(path: string, display = path): LitmusFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new LitmusError(`${display}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LitmusError(`${display}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  return validate_litmus(raw, display);
}

/** The catalog folder (scenarios/ at the top of the project) and its files, sorted. */
export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../scenarios");
export const catalog_files = (): string[] =>
  readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(".json")).sort().map((f) => join(SCENARIO_DIR, f));
export const display_path = (p: string): string => (p.startsWith(SCENARIO_DIR) ? `scenarios/${basename(p)}` : p);

// ---------------------------------------------------------------------------------------------
// Compilation to a Scenario. Vars: p.NAME process (mm index), a.BUF buffer address, f.FILE inode,
// dio.G iocb of the dio_read that is step G, fx.PROC.BUF.PAGE pinned pfn of a fixed buffer,
// wb.G writeback started by step G, synced.FILE, pipe.BYTE bytes delivered by pipe_read.

/** Where a file's page is mapped by a MAP_SHARED mapping: for persisted-data checks. */
interface SharedMap { buf: string; file: string }

export interface Compiled {
  lit: LitmusFile;
  scenario: Scenario;
  /** Every step in thread order, with its global index. */
  steps: { g: number; step: Step }[];
  shared: SharedMap[];
}

const describe_step = (s: Step): string => {
  const at = (s.buf && s.buf !== s.proc ? `${s.buf} ` : "") + `page ${s.page}` + (s.half !== undefined ? ` half ${s.half}` : "");
  switch (s.op) {
    case "dio_read": return `${s.proc}: pread(${s.file}, O_DIRECT) into ${at} (async)`;
    case "write": return `${s.proc}: write 0x${s.byte!.toString(16)} to ${at}`;
    case "fork": return `${s.proc}: fork() -> ${s.child}`;
    case "exit": return `${s.proc}: exit()`;
    case "munmap": return `${s.proc}: munmap ${at}`;
    case "register_fixed": return `${s.proc}: io_uring register ${at} as a fixed buffer`;
    case "unregister_fixed": return `${s.proc}: io_uring unregister the fixed buffer at ${at}`;
    case "vmsplice": return `${s.proc}: vmsplice ${at} into the pipe`;
    case "pipe_read": return "drain the pipe";
    case "reclaim": return `${s.proc}: reclaim ${at} (MADV_PAGEOUT)`;
    case "reclaim_file": return `reclaim ${s.file}'s page ${s.page}`;
    case "writeback_start": return `writeback of ${s.file}'s page ${s.page} starts`;
    case "writeback_end": return `writeback of ${s.file}'s page ${s.page} ends`;
    case "sync": return `sync(${s.file}): write back what is dirty, then drop the clean pages`;
  }
};

export function compile_litmus(lit: LitmusFile): Compiled {
  const steps: { g: number; step: Step }[] = [];
  const shared: SharedMap[] = [];
  const file_pages = new Map<string, number>();
  for (const it of lit.setup) {
    if ("file" in it && !("mapping" in it)) file_pages.set(it.file, it.pages);
    if ("mapping" in it && it.share === "MAP_SHARED") shared.push({ buf: it.mapping, file: it.file });
  }
  const nr_dio = lit.threads.flatMap((t) => t.steps).filter((s) => s.op === "dio_read").length;
  const folio = (w: World, v: Vars, file: string, page: number): number => filemap_get_folio(w, w.inodes[v[`f.${file}`]], page, false);
  const addr = (v: Vars, s: Step): number => v[`a.${s.buf}`] + s.page! * PAGE_SIZE + (s.half ?? 0) * HALF;
  const alive = (v: Vars, p: string | undefined): boolean => p === undefined || (v[`p.${p}`] !== undefined && !v[`x.${p}`]);

  const compile_step = (s: Step, g: number): ThreadStep => {
    const mm = (w: World, v: Vars) => w.mms[v[`p.${s.proc}`]];
    const base = { name: describe_step(s), ready: (_w: World, v: Vars) => alive(v, s.proc) };
    const fx = `fx.${s.proc}.${s.buf}.${s.page}`;
    switch (s.op) {
      case "dio_read":
        return { ...base, run(w, v) {
          w.current = v[`p.${s.proc}`];
          const iocb = init_async_kiocb(w, v[`f.${s.file}`], s.page! * PAGE_SIZE + s.half! * HALF);
          v[`dio.${g}`] = iocb.id;
          iomap_dio_rw(w, iocb, iov_iter_ubuf(w, READ, addr(v, s), HALF));
        } };
      case "write":
        return { ...base, run: (w, v) => void user_access(w, mm(w, v), addr(v, s), new Uint8Array(HALF).fill(s.byte!), true) };
      case "fork":
        return { ...base, run: (w, v) => void (v[`p.${s.child}`] = fork_mm(w, v[`p.${s.proc}`])) };
      case "exit":
        return { ...base, run: (w, v) => { exit_mmap(w, mm(w, v)); v[`x.${s.proc}`] = 1; } };
      case "munmap":
        return { ...base, run: (w, v) => void munmap(w, mm(w, v), addr(v, s), PAGE_SIZE) };
      case "register_fixed":
        return { ...base, ready: (_w, v) => alive(v, s.proc) && v[fx] === undefined, run(w, v) {
          w.current = v[`p.${s.proc}`];
          const imu = io_sqe_buffer_register(w, addr(v, s), PAGE_SIZE);
          if (typeof imu !== "number") v[fx] = imu.pages[0];
        } };
      case "unregister_fixed":
        return { ...base, ready: () => true, run(w, v) {
          if (v[fx] === undefined) return; // registration failed: nothing to drop
          io_buffer_unmap(w, { ubuf: addr(v, s), len: PAGE_SIZE, bvec: [], pages: [v[fx]] });
          delete v[fx];
        } };
      case "vmsplice":
        return { ...base, run(w, v) {
          w.current = v[`p.${s.proc}`];
          vmsplice_to_pipe(w, w.pipes[v.pipe], [{ iov_base: addr(v, s), iov_len: HALF }]);
        } };
      case "pipe_read":
        return { ...base, run(w, v) {
          const p = w.pipes[v.pipe];
          for (const b of p.bufs) for (const byte of w.mem.data.read(b.page).subarray(b.offset, b.offset + b.len)) v[`pipe.${byte}`] = 1;
          pipe_read(w, p, iov_iter_kvec(w, READ, [{ iov_base: v.sink, iov_len: PAGE_SIZE }], 1, PAGE_SIZE));
        } };
      case "reclaim":
        return { ...base, run: (w, v) => void madvise_pageout(w, mm(w, v), addr(v, s) - (s.half ?? 0) * HALF, PAGE_SIZE) };
      case "reclaim_file":
        return { ...base, run(w, v) {
          const f = folio(w, v, s.file!, s.page!);
          if (f >= 0) shrink_folio(w, f);
        } };
      case "writeback_start":
        return { ...base, run(w, v) {
          const f = folio(w, v, s.file!, s.page!);
          if (f >= 0 && folio_start_writeback(w, f)) v[`wb.${s.file}.${s.page}`] = 1;
        } };
      case "writeback_end":
        return { ...base, run(w, v) {
          const k = `wb.${s.file}.${s.page}`;
          const f = folio(w, v, s.file!, s.page!);
          if (v[k] && f >= 0 && folio_test(w, f, PG_writeback)) folio_end_writeback(w, f);
          delete v[k];
        } };
      case "sync":
        return {
          ...base,
          // sync waits for every O_DIRECT read of the scenario to be issued and completed, and
          // for writeback in progress on the file to end.
          ready(w, v) {
            const issued = Object.keys(v).filter((k) => k.startsWith("dio.")).map((k) => v[k]);
            if (issued.length < nr_dio || !issued.every((id) => w.block.completions.some((c) => c.iocb === id))) return false;
            if (w.block.in_flight.length || w.block.transferred.length || w.block.work.length) return false;
            for (let k = 0; k < file_pages.get(s.file!)!; k++) {
              const f = folio(w, v, s.file!, k);
              if (f >= 0 && folio_test(w, f, PG_writeback)) return false;
            }
            return true;
          },
          run(w, v) {
            for (let k = 0; k < file_pages.get(s.file!)!; k++) {
              const f = folio(w, v, s.file!, k);
              if (f >= 0 && folio_test(w, f, PG_dirty) && folio_start_writeback(w, f)) folio_end_writeback(w, f);
              if (f >= 0) shrink_folio(w, f);
            }
            v[`synced.${s.file}`] = 1;
          },
        };
    }
  };

  let g = 0;
  const threads = lit.threads.map((t) => ({
    name: t.name,
    steps: t.steps.map((s) => {
      steps.push({ g, step: s });
      return compile_step(s, g++);
    }),
  }));

  const scenario: Scenario = {
    id: lit.id,
    title: lit.title,
    setup(w) {
      const v: Vars = {};
      for (const it of lit.setup) {
        if ("process" in it) {
          const p = mm_alloc(w);
          w.current = p;
          const buf = mmap_anon(w, w.mms[p], it.pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
          user_access(w, w.mms[p], buf, new Uint8Array(it.pages * PAGE_SIZE).fill(it.fill), true);
          v[`p.${it.process}`] = p;
          v[`a.${it.process}`] = buf;
        } else if ("mapping" in it) {
          const p = v[`p.${it.proc}`];
          const m = mmap_file(w, w.mms[p], v[`f.${it.file}`], it.pages * PAGE_SIZE, PROT_READ | PROT_WRITE, it.share === "MAP_SHARED" ? MAP_SHARED : MAP_PRIVATE);
          if (it.touch !== "none")
            for (let k = 0; k < it.pages; k++) user_access(w, w.mms[p], m + k * PAGE_SIZE, new Uint8Array(1), it.touch === "write");
          v[`a.${it.mapping}`] = m;
        } else {
          const ino = create_file(w, it.fs);
          for (let k = 0; k < it.pages; k++)
            w.inodes[ino].disk.set(k, it.data === "pattern" ? Uint8Array.from({ length: PAGE_SIZE }, (_, i) => disk_pattern(k, i)) : new Uint8Array(PAGE_SIZE).fill(it.data));
          w.inodes[ino].i_size = it.pages * PAGE_SIZE;
          v[`f.${it.file}`] = ino;
        }
      }
      w.pipes.push(pipe_create());
      v.pipe = w.pipes.length - 1;
      v.sink = kmalloc(w, PAGE_SIZE);
      return v;
    },
    threads,
    // A read is judged once, when its completion is reported: what the reader holds then.
    observe(w, v) {
      for (const { g, step } of steps) {
        if (step.op !== "dio_read" || v[`dio.${g}`] === undefined || v[`seen.${g}`] !== undefined) continue;
        if (!w.block.completions.some((x) => x.iocb === v[`dio.${g}`] && x.res > 0)) continue;
        const pos = step.page! * PAGE_SIZE + step.half! * HALF;
        const m = read_mismatch(w, v[`p.${step.proc}`], v[`a.${step.buf}`] + pos, peek_disk(w, v[`f.${step.file}`], pos, HALF));
        v[`seen.${g}`] = 1;
        v[`bad.${g}`] = m ? m.at : -1; // -1: the reader got the device's bytes
        if (m) [v[`mine.${g}`], v[`dev.${g}`]] = [m.mine, m.device];
      }
    },
  };
  return { lit, scenario, steps, shared };
}

// ---------------------------------------------------------------------------------------------
// What the properties see, and the outcome.

/** The scenario's view: every dio_read (judged at completion), every fixed buffer, persisted data after sync. */
export function litmus_view(c: Compiled, s: ScenarioState): WorldView {
  const { w, vars: v } = s;
  const reads: ReadOutcome[] = [];
  const persisted: ReadOutcome[] = [];
  for (const { g, step } of c.steps) {
    if (step.op !== "dio_read" || v[`dio.${g}`] === undefined) continue;
    const pos = step.page! * PAGE_SIZE + step.half! * HALF;
    const done = v[`seen.${g}`] === 1;
    const device = peek_disk(w, v[`f.${step.file}`], pos, HALF);
    const at = v[`bad.${g}`];
    const detail = at === undefined || at < 0 ? undefined : read_detail({ at, mine: v[`mine.${g}`], device: v[`dev.${g}`] });
    reads.push({ what: `${step.proc}'s O_DIRECT read into ${step.buf} page ${step.page} half ${step.half}`, ok: done ? at < 0 : null, detail });
    const sh = c.shared.find((m) => m.buf === step.buf);
    if (sh) {
      const synced = done && v[`synced.${sh.file}`] === 1;
      const got = peek_disk(w, v[`f.${sh.file}`], pos, HALF);
      const at = got.findIndex((b, i) => b !== device[i]);
      persisted.push({
        what: `the O_DIRECT read into ${sh.file}'s shared page ${step.page}`,
        ok: synced ? at < 0 : null,
        detail: at < 0 ? undefined : `after sync ${sh.file}'s byte ${pos + at} on disk is 0x${got[at].toString(16)}, not the 0x${device[at].toString(16)} the device wrote into its page`,
      });
    }
  }
  for (const k of Object.keys(v).filter((x) => x.startsWith("fx.")).sort()) {
    const [, proc, buf, page] = k.split(".");
    reads.push(fixed_buffer_outcome(w, v[`p.${proc}`], v[`a.${buf}`] + Number(page) * PAGE_SIZE, v[k], `${proc}'s io_uring fixed buffer at ${buf} page ${page}`));
  }
  return { w, quiescent: quiescent(s, c.scenario), reads, persisted };
}

/** Every thread done and nothing in flight: a complete interleaving ends here. */
const complete = (c: Compiled, s: ScenarioState): boolean => quiescent(s, c.scenario);

/** Whether the outcome holds in s: a message saying how, or null. */
export function outcome_in(c: Compiled, s: ScenarioState): string | null {
  const o = c.lit.outcome;
  if ("property" in o) return world_properties.find((p) => p.id === o.property)!.check(litmus_view(c, s));
  if (!complete(c, s)) return null;
  const b = o.pipe_holds.byte;
  const w = s.w;
  const unread = w.pipes[s.vars.pipe].bufs.some((x) => w.mem.data.read(x.page).subarray(x.offset, x.offset + x.len).includes(b));
  return s.vars[`pipe.${b}`] || unread ? `the pipe delivers byte 0x${b.toString(16)}` : null;
}

export const outcome_text = (o: Outcome): string => ("property" in o ? o.property : `pipe_holds 0x${o.pipe_holds.byte.toString(16)}`);

const state_key = (s: ScenarioState): string =>
  `${s.pc.join(",")}|${JSON.stringify(Object.entries(s.vars).sort((a, b) => (a[0] < b[0] ? -1 : 1)))}|${world_key(s.w)}`;

/** The scenario model whose check is the outcome (for explore's shortest witness). */
export function litmus_model(c: Compiled, config: KernelConfig): Model<ScenarioState, ScenarioAction> {
  const init = initial_state(c.scenario, config);
  return {
    initial: () => [init],
    actions: (s) => enabled_actions(s, c.scenario),
    step: (s, a) => apply_action(s, c.scenario, a),
    key: state_key,
    check(s) {
      const why = outcome_in(c, s);
      return why ? { property: outcome_text(c.lit.outcome), message: why } : null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Verdicts.

export interface VerdictResult {
  era: string;
  bug?: string;
  /** "Never" | "Sometimes" | "Always"; "Stuck" if no interleaving completes. */
  verdict: Verdict | "Stuck";
  expected?: Verdict;
  match: boolean;
  /** Complete interleavings, those that hit the outcome, and dead ends (a step never ready). */
  paths: number;
  hits: number;
  stuck: number;
  states: number;
  /** Steps of the shortest witness (explore's breadth-first trace), when the outcome can happen. */
  witness: number | null;
  witness_steps?: string[];
  message?: string;
}

/** Count every complete path from the initial state, and those that hit the outcome (memoised DFS). */
export function enumerate_paths(c: Compiled, config: KernelConfig): { paths: number; hits: number; stuck: number; states: number } {
  const memo = new Map<string, { paths: number; hits: number; stuck: number }>();
  const visit = (s: ScenarioState): { paths: number; hits: number; stuck: number } => {
    const k = state_key(s);
    const m = memo.get(k);
    if (m) return m;
    const acts = enabled_actions(s, c.scenario);
    let r: { paths: number; hits: number; stuck: number };
    if (!acts.length) r = complete(c, s) ? { paths: 1, hits: 0, stuck: 0 } : { paths: 0, hits: 0, stuck: 1 };
    else {
      r = { paths: 0, hits: 0, stuck: 0 };
      for (const a of acts) {
        const t = visit(apply_action(s, c.scenario, a));
        r.paths += t.paths;
        r.hits += t.hits;
        r.stuck += t.stuck;
      }
    }
    if (outcome_in(c, s)) r = { ...r, hits: r.paths };
    memo.set(k, r);
    return r;
  };
  const r = visit(initial_state(c.scenario, config));
  return { ...r, states: memo.size };
}

export function verdict_for(c: Compiled, era: string, bug?: string, expected?: Verdict): VerdictResult {
  const config = config_for(bug, era);
  if (!config) throw new LitmusError(`unknown era '${era}' or bug '${bug}'`);
  const n = enumerate_paths(c, config);
  const verdict: VerdictResult["verdict"] = n.paths === 0 ? "Stuck" : n.hits === 0 ? "Never" : n.hits === n.paths ? "Always" : "Sometimes";
  const model = litmus_model(c, config);
  const ex = explore(model, 1000);
  const witness = ex.result === "violation" ? ex.trace!.actions.length : null;
  return {
    era, ...(bug ? { bug } : {}), verdict, ...(expected ? { expected } : {}), match: expected === undefined || expected === verdict,
    paths: n.paths, hits: n.hits, stuck: n.stuck, states: n.states, witness,
    ...(ex.trace ? { witness_steps: ex.trace.actions.map(describe_action), message: ex.violation!.message } : {}),
  };
}

/** The verdicts of a file's expectation rows (or, with `era`, that era's rows; an era without a row is computed unexpected). */
export function litmus_verdicts(c: Compiled, era?: string): VerdictResult[] {
  const rows = c.lit.expect.filter((r) => era === undefined || r.era === era);
  if (era !== undefined && !rows.length) return [verdict_for(c, era)];
  return rows.map((r) => verdict_for(c, r.era, r.bug, r.verdict));
}

// ---------------------------------------------------------------------------------------------
// docs/verdicts.md

export const cell = (r: VerdictResult): string => `${r.verdict}${r.witness !== null ? ` (${r.witness})` : ""}${r.match ? "" : ` ✗ expected ${r.expected}`}`;

/** The verdict table for the whole catalog: one row per scenario (and per bug switch), one column per era. */
export function verdict_table(entries: { path: string; c: Compiled; results: VerdictResult[] }[]): string {
  const eras = ERAS.map((e) => e.id);
  const lines = [
    "# Scenario verdicts",
    "",
    "Generated by `pincheck scenario --all --write-verdicts docs/verdicts.md` from `scenarios/*.json`; do not edit",
    "(`test/litmus.test.ts` fails when this file is stale). A cell is the verdict over every complete",
    "interleaving of the scenario in that era: Never (no interleaving reaches the outcome), Sometimes",
    "(some do), Always (all do); in parentheses, the steps of the shortest witness. A ✗ marks a verdict",
    "that differs from the one the file expects; — an era the file has no expectation for.",
    "",
    `| Scenario | Outcome | ${eras.join(" | ")} |`,
    `|---|---|${eras.map(() => "---").join("|")}|`,
  ];
  for (const { path, c, results } of entries) {
    const bugs = [undefined, ...new Set(results.filter((r) => r.bug).map((r) => r.bug))];
    for (const bug of bugs) {
      const cells = eras.map((e) => {
        const r = results.find((x) => x.era === e && x.bug === bug);
        return r ? cell(r) : "—";
      });
      const name = `[${c.lit.id}](../${path})${bug ? ` + bug \`${bug}\`` : ""}`;
      lines.push(`| ${name} | ${outcome_text(c.lit.outcome)} | ${cells.join(" | ")} |`);
    }
  }
  lines.push("");
  for (const { c } of entries) lines.push(`- **${c.lit.id}**: ${c.lit.title}`);
  return `${lines.join("\n")}\n`;
}

/** Generate the whole table from the catalog as it is now. */
export function catalog_verdict_table(): string {
  return verdict_table(catalog_files().map((p) => {
    const c = compile_litmus(load_litmus(p, display_path(p)));
    return { path: display_path(p), c, results: litmus_verdicts(c) };
  }));
}
