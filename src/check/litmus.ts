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
  afs_fetch_data_pending, afs_read_dir, afs_read_dir_done, aio_read, aio_write, BUGS, config_for, create_file,
  do_anonymous_folio, ERAS, era_ids, errname, exit_mmap, filemap_get_folio, FOLL_LONGTERM, FOLL_WRITE,
  folio_end_writeback, folio_start_writeback, folio_test, folio_test_locked, fork_mm, init_async_kiocb,
  invalidate_inode_pages2_range, io_buffer_unmap, io_read_fixed, io_sqe_buffer_register, iov_iter_ubuf, kmalloc, kread,
  madvise_dontfork, MAP_PRIVATE, MAP_SHARED, mmap_anon, mmap_file, mprotect, munmap,
  PAGE_SIZE, PG_dirty, PG_writeback, pin_user_pages, pipe_create, PROT_READ, PROT_WRITE, READ, shrink_folio, shrink_mapped_folio,
  unpin_user_page, user_access, WRITE,
} from "../kernel/index.js";
import type { Model } from "./explore.js";
import type { SpliceWatch } from "./splice_watch.js";
import { drain_watched, splice_outcome, splice_watch_step, vmsplice_watched } from "./splice_watch.js";
import { explore } from "./explore.js";
import { disk_pattern, run_new_process } from "./fixtures.js";
import { fixed_buffer_outcome, peek_disk, read_detail, read_mismatch } from "./peek.js";
import type { CachePage } from "./peek.js";
import { cache_detail, cache_vs_disk, pin_outcome } from "./peek.js";
import type { Scenario, ScenarioAction, ScenarioState, ThreadStep, Vars } from "./scenario.js";
import { apply_action, describe_action, enabled_actions, initial_state, quiescent, scenario_key, scenario_model } from "./scenario.js";

const HALF = PAGE_SIZE / 2;

export const VERDICTS = ["Never", "Sometimes", "Always"] as const;
export type Verdict = (typeof VERDICTS)[number];

export class LitmusError extends Error {}

// ---------------------------------------------------------------------------------------------
// The file format.

export type SetupItem =
  | { process: string; pages: number; fill: number; thp?: number }
  | { file: string; fs: FileFs; pages: number; data: "pattern" | number }
  | { mapping: string; proc: string; file: string; share: "MAP_SHARED" | "MAP_PRIVATE"; pages: number; touch: "none" | "read" | "write" };

/**
 * A setup file's file system: afs stands for a network file system's directory (fs/afs/dir.c);
 * vfat's O_DIRECT goes through the legacy fs/direct-io.c.
 */
export type FileFs = "ext4" | "tmpfs" | "afs" | "vfat";
const FILE_FS = ["ext4", "tmpfs", "afs", "vfat"] as const;
/** The file systems whose O_DIRECT reaches the simulated device. */
const DIO_FS: readonly FileFs[] = ["ext4", "vfat"];

/** The GUP flags a `pin` step may pass to pin_user_pages() (FOLL_PIN is implied). */
const PIN_FLAGS = ["FOLL_WRITE", "FOLL_LONGTERM"] as const;
export type PinFlag = (typeof PIN_FLAGS)[number];
const PIN_RESULTS = ["granted", "refused"] as const;

/** The protections an `mprotect` step may give a buffer's page. */
const PROTS = ["PROT_READ", "PROT_READ|PROT_WRITE"] as const;
type Prot = (typeof PROTS)[number];

export interface Step {
  op: Op;
  flags?: PinFlag[];
  proc?: string;
  child?: string;
  buf?: string;
  file?: string;
  page?: number;
  half?: number;
  byte?: number;
  /** dio_write: how many half pages from (page, half) on it writes (default 1). */
  halves?: number;
  prot?: Prot;
}

export type Outcome = { property: string } | { pipe_holds: { byte: number } } | { pin_result: (typeof PIN_RESULTS)[number] };

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
  dio_read: { need: ["proc", "file", "page", "half"], may: ["buf", "halves"] },
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
  pin: { need: ["proc", "page"], may: ["buf", "flags"] },
  unpin: { need: ["proc", "page"], may: ["buf"] },
  madvise_dontfork: { need: ["proc", "page"], may: ["buf"] },
  xarray_read_start: { need: ["file"], may: [] },
  xarray_read_end: { need: ["file"], may: [] },
  invalidate: { need: ["file", "page"], may: [] },
  dio_write: { need: ["proc", "file", "page", "half"], may: ["buf", "halves"] },
  read_fixed: { need: ["proc", "file", "page", "half"], may: ["buf"] },
  mprotect: { need: ["proc", "page", "prot"], may: ["buf"] },
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
    if (o[k] === undefined) this.fail(`${path}.${k}`, allowed.length ? `is required (one of ${list})` : `is required, but setup declares no ${k}`);
    if (!allowed.includes(o[k] as T))
      this.fail(`${path}.${k}`, allowed.length ? `must be one of ${list}, got ${show(o[k])}` : `names ${show(o[k])}, but setup declares no ${k}`);
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

/** A value as an error shows it: strings quoted, long JSON cut short. */
function show(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  if (v === undefined) return "nothing";
  const json = JSON.stringify(v);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

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
  const files = new Map<string, FileFs>();
  const file_pages = new Map<string, number>();
  const bufs = new Map<string, { owner: string; pages: number }>();
  const setup: SetupItem[] = c.arr(o.setup, "setup", 1).map((x, i) => {
    const p = `setup[${i}]`;
    const it = c.obj(x, p);
    const fresh = (name: string, k: string) => {
      if (procs.has(name) || files.has(name) || bufs.has(name)) c.fail(`${p}.${k}`, `names '${name}' twice (process, file and mapping names must be distinct)`);
    };
    if (it.process !== undefined) {
      c.fields(it, p, ["process", "pages", "fill", "thp"], "a process");
      const name = c.str(it, "process", p, "a process name");
      fresh(name, "process");
      const pages = c.int(it, "pages", p, 1, 4, 1);
      procs.add(name);
      bufs.set(name, { owner: name, pages });
      const fill = c.int(it, "fill", p, 0, 255, 0xaa);
      if (it.thp === undefined) return { process: name, pages, fill };
      // The buffer in folios of 2^thp pages: it must hold a whole number of them.
      const thp = c.int(it, "thp", p, 1, 2);
      const tiling = [1, 2].filter((o) => pages % (1 << o) === 0);
      if (!tiling.includes(thp))
        c.fail(`${p}.thp`, `must be an order whose folios tile the buffer's ${pages} page(s) (${tiling.length ? tiling.join(" or ") : "none does: leave thp out"}), got ${thp}`);
      return { process: name, pages, fill, thp };
    }
    if (it.file !== undefined && it.mapping === undefined) {
      c.fields(it, p, ["file", "fs", "pages", "data"], "a file");
      const name = c.str(it, "file", p, "a file name");
      fresh(name, "file");
      const fs = c.one_of(it, "fs", p, FILE_FS);
      const pages = c.int(it, "pages", p, 1, 4, 1);
      file_pages.set(name, pages);
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
      if (files.get(file) === "afs") c.fail(`${p}.file`, `must name a file that is not on afs (an afs file is a directory, read by xarray_read_start), got '${file}'`);
      const share = c.one_of(it, "share", p, ["MAP_SHARED", "MAP_PRIVATE"] as const);
      const pages = c.int(it, "pages", p, 1, 4, 1);
      const touch = it.touch === undefined ? "read" : c.one_of(it, "touch", p, ["none", "read", "write"] as const);
      // mmap() may reach past the end of the file; a fault there is SIGBUS (filemap_fault()).
      const file_len = file_pages.get(file)!;
      if (touch !== "none" && pages > file_len)
        c.fail(`${p}.pages`, `must be at most ${file_len} (the pages of '${file}') when touch is '${touch}': touching page ${file_len} would be SIGBUS; got ${pages}`);
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
      const max_page = out.buf ? bufs.get(out.buf)!.pages - 1 : out.file ? file_pages.get(out.file)! - 1 : 3;
      if (need.has("page")) out.page = c.int(st, "page", sp, 0, max_page);
      if (need.has("half")) out.half = c.int(st, "half", sp, 0, 1);
      if (need.has("byte")) out.byte = c.int(st, "byte", sp, 0, 255);
      if (need.has("prot")) out.prot = c.one_of(st, "prot", sp, PROTS);
      if (spec.may.includes("halves" as never) && st.halves !== undefined) {
        // The I/O stays inside the buffer: from half (page, half) on, up to its last half page.
        const room = (out.buf ? bufs.get(out.buf)!.pages : 4) * 2 - (out.page! * 2 + out.half!);
        out.halves = c.int(st, "halves", sp, 1, room);
      }
      if (spec.may.includes("flags" as never) && st.flags !== undefined) {
        const list = PIN_FLAGS.join(", ");
        if (!Array.isArray(st.flags)) c.fail(`${sp}.flags`, `must be an array of ${list} (a subset), got ${show(st.flags)}`);
        out.flags = (st.flags as unknown[]).map((f, i) => {
          if (!PIN_FLAGS.includes(f as PinFlag)) c.fail(`${sp}.flags[${i}]`, `must be one of ${list}, got ${show(f)}`);
          return f as PinFlag;
        });
        const dup = out.flags.find((f, i) => out.flags!.indexOf(f) !== i);
        if (dup) c.fail(`${sp}.flags`, `repeats ${dup} (a subset of ${list})`);
      }
      return out;
    });
    return { name, steps };
  });
  for (const [t, th] of threads.entries())
    for (const [k, s] of th.steps.entries())
      if ((s.op === "dio_read" || s.op === "dio_write" || s.op === "read_fixed") && !DIO_FS.includes(files.get(s.file!)!))
        c.fail(`threads[${t}].steps[${k}].file`, `must name an ext4 or vfat file for ${s.op} (${files.get(s.file!)} has no O_DIRECT to a device), got '${s.file}'`);
      else if ((s.op === "writeback_start" || s.op === "writeback_end") && files.get(s.file!) === "tmpfs")
        c.fail(`threads[${t}].steps[${k}].file`, `must name an ext4 or vfat file for ${s.op} (tmpfs does not write back), got '${s.file}'`);
      else if ((s.op === "dio_read" || s.op === "dio_write") && file_pos(s) + io_len(s) > file_pages.get(s.file!)! * PAGE_SIZE)
        c.fail(`threads[${t}].steps[${k}]`, `reaches past the end of '${s.file}' (${file_pages.get(s.file!)} page(s)): page ${s.page}, half ${s.half}, ${s.halves ?? 1} half page(s)`);
      else if ((s.op === "xarray_read_start" || s.op === "xarray_read_end") && files.get(s.file!) !== "afs")
        c.fail(`threads[${t}].steps[${k}].file`, `must name an afs file for ${s.op} (the directory read into its own page cache), got '${s.file}'`);
  // An xarray read is started and ended by the same thread, and ended before it starts another;
  // one thread reads a given directory (afs serialises its reads under validate_lock).
  const reader = new Map<string, number>();
  for (const [t, th] of threads.entries()) {
    const open = new Set<string>();
    for (const [k, s] of th.steps.entries()) {
      if (s.op === "xarray_read_start") {
        if ((reader.get(s.file!) ?? t) !== t) c.fail(`threads[${t}].steps[${k}]`, `reads '${s.file}', which threads[${reader.get(s.file!)}] reads already (one thread per afs directory)`);
        reader.set(s.file!, t);
        if (open.has(s.file!)) c.fail(`threads[${t}].steps[${k}]`, `starts a second xarray read of '${s.file}' before xarray_read_end of the first`);
        open.add(s.file!);
      } else if (s.op === "xarray_read_end") {
        if (!open.delete(s.file!)) c.fail(`threads[${t}].steps[${k}]`, `ends an xarray read of '${s.file}' that this thread did not start (xarray_read_start first)`);
      }
    }
    if (open.size) c.fail(`threads[${t}].steps`, `must end the xarray read of '${[...open][0]}' (xarray_read_end)`);
  }

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
  } else if (oc.pin_result !== undefined) {
    c.fields(oc, "outcome", ["pin_result"], "an outcome");
    outcome = { pin_result: c.one_of(oc, "pin_result", "outcome", PIN_RESULTS) };
    if (!threads.some((t) => t.steps.some((s) => s.op === "pin"))) c.fail("outcome.pin_result", "needs a pin step in some thread");
  } else c.fail("outcome", `must have the field property (one of ${property_ids().join(", ")}), pipe_holds ({"byte": N}) or pin_result (granted or refused)`);

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

/**
 * Every catalog file loaded and compiled, with the path it is shown by (scenarios/NAME.json). An
 * id is a target's name (check --target, a trace's target), so two files may not share one.
 */
export function catalog_entries(): { path: string; c: Compiled }[] {
  const entries = catalog_files().map((p) => ({ path: display_path(p), c: compile_litmus(load_litmus(p, display_path(p))) }));
  const by_id = new Map<string, string>();
  for (const { path, c } of entries) {
    const first = by_id.get(c.lit.id);
    if (first) throw new LitmusError(`${path}: id '${c.lit.id}' is already the id of ${first}`);
    by_id.set(c.lit.id, path);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Compilation to a Scenario. Vars: p.NAME process (mm index), a.BUF buffer address, f.FILE inode,
// dio.G iocb of the dio_read that is step G, fx.PROC.BUF.PAGE pinned pfn of a fixed buffer,
// wb.G writeback started by step G, synced.FILE, pipe.BYTE bytes delivered by pipe_read,
// pn.PROC.BUF.PAGE pinned page of a pin step and pinres.G its pin_user_pages() result,
// xr.FILE.n and xr.FILE.K the pages and folios of an xarray read in flight, xrp.G.K how the
// page cache compared with the server when the xarray read ended by step G completed.

/** Where a file's page is mapped by a MAP_SHARED mapping: for persisted-data checks. */
interface SharedMap { buf: string; file: string }

export interface Compiled {
  lit: LitmusFile;
  scenario: Scenario;
  /** Every step in thread order, with its global index. */
  steps: { g: number; step: Step }[];
  shared: SharedMap[];
}

/** A pin step's flags in words: "FOLL_WRITE | FOLL_LONGTERM", or "R/O" without any. */
const pin_flags_text = (s: Step): string => (s.flags?.length ? s.flags.join(" | ") : "R/O");

/** Where in its file a dio step reads or writes: its page and half page. */
const file_pos = (s: Step): number => s.page! * PAGE_SIZE + s.half! * HALF;
/** Bytes a read or write step moves. */
const io_len = (s: Step): number => (s.halves ?? 1) * HALF;

const describe_step = (s: Step): string => {
  const at = (s.buf && s.buf !== s.proc ? `${s.buf} ` : "") + `page ${s.page}` + (s.half !== undefined ? ` half ${s.half}` : "");
  switch (s.op) {
    case "dio_read": return `${s.proc}: pread(${s.file}, O_DIRECT) into ${at}${(s.halves ?? 1) > 1 ? ` (${s.halves} half pages)` : ""} (async)`;
    case "write": return `${s.proc}: write 0x${s.byte!.toString(16)} to ${at}`;
    case "fork": return `${s.proc}: fork() -> ${s.child}`;
    case "exit": return `${s.proc}: exit()`;
    case "munmap": return `${s.proc}: munmap ${at}`;
    case "register_fixed": return `${s.proc}: io_uring register ${at} as a fixed buffer`;
    case "unregister_fixed": return `${s.proc}: io_uring unregister the fixed buffer at ${at}`;
    case "vmsplice": return `${s.proc}: vmsplice ${at} into the pipe`;
    case "pipe_read": return "drain the pipe";
    case "reclaim": return `kswapd: reclaim the page at ${s.proc}'s ${at}`;
    case "reclaim_file": return `reclaim ${s.file}'s page ${s.page}`;
    case "writeback_start": return `writeback of ${s.file}'s page ${s.page} starts`;
    case "writeback_end": return `writeback of ${s.file}'s page ${s.page} ends`;
    case "sync": return `sync(${s.file}): write back what is dirty, then drop the clean pages`;
    case "pin": return `${s.proc}: pin_user_pages(${pin_flags_text(s)}) ${at}`;
    case "unpin": return `unpin_user_page() ${s.proc}'s ${at}`;
    case "madvise_dontfork": return `${s.proc}: madvise(MADV_DONTFORK) ${at}`;
    case "xarray_read_start": return `afs_read_dir(${s.file}): folios ready, ITER_XARRAY over its page cache, FetchData sent`;
    case "xarray_read_end": return `afs_read_dir(${s.file}): FetchData done, release the folios`;
    case "invalidate": return `invalidate_inode_pages2 ${s.file}'s page ${s.page}`;
    case "dio_write": return `${s.proc}: pwrite(${s.file}, O_DIRECT) from ${at}${(s.halves ?? 1) > 1 ? ` (${s.halves} half pages)` : ""} (async)`;
    case "read_fixed": return `${s.proc}: io_uring READ_FIXED of ${s.file} into the fixed buffer at ${at} (O_DIRECT)`;
    case "mprotect": return `${s.proc}: mprotect(${s.prot}) ${at}`;
  }
};

// vmsplice watches live in vars as sp.SEQ.{proc,addr,page,off,len,want,got}, SEQ the order the
// buffers entered the pipe (src/check/splice_watch.ts).
const SP_FIELDS = ["proc", "addr", "page", "off", "len", "want", "got"] as const;

/** The watches in vars, in pipe order, with their sequence numbers. */
function splices(v: Vars): [number, SpliceWatch][] {
  if (v.sp_seq === undefined) return []; // nothing vmspliced yet
  return Object.keys(v).filter((k) => k.startsWith("sp.") && k.endsWith(".want")).map((k) => Number(k.split(".")[1])).sort((a, b) => a - b)
    .map((n) => [n, {
      proc: v[`sp.${n}.proc`], addr: v[`sp.${n}.addr`], page: v[`sp.${n}.page`], offset: v[`sp.${n}.off`], len: v[`sp.${n}.len`],
      want: v[`sp.${n}.want`], got: v[`sp.${n}.got`] ?? null,
    }]);
}

/** Write a watch back into vars (null: forget it). */
function store_splice(v: Vars, n: number, x: SpliceWatch | null): void {
  for (const f of SP_FIELDS) delete v[`sp.${n}.${f}`];
  if (!x) return;
  Object.assign(v, { [`sp.${n}.proc`]: x.proc, [`sp.${n}.addr`]: x.addr, [`sp.${n}.page`]: x.page, [`sp.${n}.off`]: x.offset, [`sp.${n}.len`]: x.len, [`sp.${n}.want`]: x.want });
  if (x.got !== null) v[`sp.${n}.got`] = x.got;
}

export function compile_litmus(lit: LitmusFile): Compiled {
  const steps: { g: number; step: Step }[] = [];
  const shared: SharedMap[] = [];
  const file_pages = new Map<string, number>();
  for (const it of lit.setup) {
    if ("file" in it && !("mapping" in it)) file_pages.set(it.file, it.pages);
    if ("mapping" in it && it.share === "MAP_SHARED") shared.push({ buf: it.mapping, file: it.file });
  }
  const nr_dio = lit.threads.flatMap((t) => t.steps).filter((s) => s.op === "dio_read" || s.op === "dio_write" || s.op === "read_fixed").length;
  const folio = (w: World, v: Vars, file: string, page: number): number => filemap_get_folio(w, w.inodes[v[`f.${file}`]], page, false);
  const addr = (v: Vars, s: Step): number => v[`a.${s.buf}`] + s.page! * PAGE_SIZE + (s.half ?? 0) * HALF;
  const alive = (v: Vars, p: string | undefined): boolean => p === undefined || (v[`p.${p}`] !== undefined && !v[`x.${p}`]);

  /** The read_fixed steps (global indices) that use the fixed buffer s registers or unregisters. */
  const fixed_users = (s: Step): number[] =>
    lit.threads.flatMap((t) => t.steps).map((x, u) => ({ x, u }))
      .filter(({ x }) => x.op === "read_fixed" && x.proc === s.proc && x.buf === s.buf && x.page === s.page).map(({ u }) => u);
  const compile_step = (s: Step, g: number): ThreadStep => {
    const mm = (w: World, v: Vars) => w.mm(v[`p.${s.proc}`])!;
    const base = { name: describe_step(s), ready: (_w: World, v: Vars) => alive(v, s.proc) };
    const fx = `fx.${s.proc}.${s.buf}.${s.page}`;
    const pn = `pn.${s.proc}.${s.buf}.${s.page}`;
    /** A dio step's async kiocb at its file position, its id kept as dio.G (for completion and sync). */
    const kiocb = (w: World, v: Vars) => {
      const iocb = init_async_kiocb(w, v[`f.${s.file}`], file_pos(s));
      v[`dio.${g}`] = iocb.id;
      return iocb;
    };
    switch (s.op) {
      case "dio_read":
        return { ...base, run(w, v) {
          w.current = v[`p.${s.proc}`];
          aio_read(w, kiocb(w, v), iov_iter_ubuf(w, READ, addr(v, s), io_len(s)));
        } };
      case "dio_write":
        return { ...base, run(w, v) {
          w.current = v[`p.${s.proc}`];
          aio_write(w, kiocb(w, v), iov_iter_ubuf(w, WRITE, addr(v, s), io_len(s)));
        } };
      case "read_fixed":
        return { ...base, run(w, v) {
          const iocb = kiocb(w, v);
          // No buffer registered at that index (the registration was refused): the request fails.
          const page_addr = addr(v, s) - s.half! * HALF;
          const imu = v[fx] === undefined ? null : { ubuf: page_addr, len: PAGE_SIZE, bvec: [{ bv_page: v[fx], bv_offset: 0, bv_len: PAGE_SIZE }], pages: [v[fx]] };
          io_read_fixed(w, iocb, imu, addr(v, s), HALF);
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
      case "unregister_fixed": {
        // io_uring drops a buffer's pins only once the requests using it are done (the rsrc node's
        // references): wait for every READ_FIXED into it that was issued.
        const users = fixed_users(s);
        return { ...base, ready: (w, v) => users.every((u) => v[`dio.${u}`] === undefined || w.block.completions.some((x) => x.iocb === v[`dio.${u}`])), run(w, v) {
          if (v[fx] === undefined) return; // registration failed: nothing to drop
          io_buffer_unmap(w, { ubuf: addr(v, s), len: PAGE_SIZE, bvec: [], pages: [v[fx]] });
          delete v[fx];
        } };
      }
      case "vmsplice":
        return { ...base, run(w, v) {
          for (const x of vmsplice_watched(w, w.pipes[v.pipe], v[`p.${s.proc}`], addr(v, s), HALF)) store_splice(v, (v.sp_seq = (v.sp_seq ?? 0) + 1), x);
        } };
      case "pipe_read":
        return { ...base, run(w, v) {
          const watched = splices(v);
          const r = drain_watched(w, w.pipes[v.pipe], v.sink, PAGE_SIZE, watched.map(([, x]) => x));
          for (const byte of kread(w, v.sink, Math.max(r.ret, 0))) v[`pipe.${byte}`] = 1;
          r.watches.forEach((x, k) => store_splice(v, watched[k][0], x));
        } };
      case "reclaim":
        return { ...base, run: (w, v) => void shrink_mapped_folio(w, w.mms_for_read[v[`p.${s.proc}`]], addr(v, s)) };
      case "pin":
        return { ...base, ready: (_w, v) => alive(v, s.proc) && v[pn] === undefined, run(w, v) {
          w.current = v[`p.${s.proc}`];
          const flags = (s.flags ?? []).reduce((f, x) => f | (x === "FOLL_WRITE" ? FOLL_WRITE : FOLL_LONGTERM), 0);
          const pages = [-1];
          const got = pin_user_pages(w, addr(v, s), 1, flags, pages);
          v[`pinres.${g}`] = got;
          if (got === 1) v[pn] = pages[0];
        } };
      case "unpin":
        // The pin holder (a driver, gup_test) may let go after its process exited.
        return { ...base, ready: () => true, run(w, v) {
          if (v[pn] === undefined) return; // the pin was refused: nothing to drop
          unpin_user_page(w, v[pn]);
          delete v[pn];
        } };
      case "madvise_dontfork":
        return { ...base, run: (w, v) => void madvise_dontfork(mm(w, v), addr(v, s), PAGE_SIZE, true) };
      case "mprotect":
        return { ...base, run: (w, v) => void mprotect(w, mm(w, v), addr(v, s), PAGE_SIZE, s.prot === "PROT_READ" ? PROT_READ : PROT_READ | PROT_WRITE) };
      case "xarray_read_start":
        return { ...base,
          // __filemap_get_folio(FGP_LOCK) sleeps while another read holds a folio of the directory locked.
          ready(w, v) {
            for (let k = 0; k < file_pages.get(s.file!)!; k++) {
              const f = folio(w, v, s.file!, k);
              if (f >= 0 && folio_test_locked(w, f)) return false;
            }
            return true;
          },
          run(w, v) {
            const req = afs_read_dir(w, v[`f.${s.file}`]);
            if (typeof req === "number") return; // -EIO: nothing in flight, nothing to judge
            v[`xr.${s.file}.n`] = req.nr_pages;
            req.folios.forEach((f, k) => void (v[`xr.${s.file}.${k}`] = f));
          },
        };
      case "xarray_read_end":
        return {
          ...base,
          // afs_fetch_data() returns once the reply has been delivered.
          ready: (w, v) => v[`xr.${s.file}.n`] === undefined || !afs_fetch_data_pending(w, v[`f.${s.file}`]),
          run(w, v) {
            const n = v[`xr.${s.file}.n`];
            if (n === undefined) return;
            const ino = v[`f.${s.file}`];
            // Judged on completion: what a reader of the directory's page cache finds now.
            cache_vs_disk(w, ino, n).forEach((p, k) => {
              v[`xrp.${g}.${k}`] = p.state;
              if (p.state === -3) [v[`xrp.${g}.${k}.at`], v[`xrp.${g}.${k}.got`], v[`xrp.${g}.${k}.want`]] = [p.at!, p.got!, p.want!];
            });
            const folios = Array.from({ length: n }, (_, k) => v[`xr.${s.file}.${k}`]);
            afs_read_dir_done(w, { ino, nr_pages: n, folios });
            for (let k = 0; k < n; k++) delete v[`xr.${s.file}.${k}`];
            delete v[`xr.${s.file}.n`];
          },
        };
      case "invalidate":
        return {
          ...base,
          // invalidate_inode_pages2_range() sleeps in folio_lock() while someone holds the folio locked.
          ready(w, v) {
            const f = folio(w, v, s.file!, s.page!);
            return f < 0 || !folio_test_locked(w, f);
          },
          run: (w, v) => void invalidate_inode_pages2_range(w, w.inodes[v[`f.${s.file}`]], s.page!, s.page!),
        };
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
          const mm = run_new_process(w);
          const buf = mmap_anon(w, mm, it.pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
          // mTHP: each naturally aligned run faulted in as one large folio (THP "always" for that size).
          if (it.thp) for (let k = 0; k < it.pages; k += 1 << it.thp) do_anonymous_folio(w, mm, buf + k * PAGE_SIZE, it.thp);
          user_access(w, mm, buf, new Uint8Array(it.pages * PAGE_SIZE).fill(it.fill), true);
          v[`p.${it.process}`] = mm.id;
          v[`a.${it.process}`] = buf;
        } else if ("mapping" in it) {
          const mm = w.mm(v[`p.${it.proc}`])!;
          const m = mmap_file(w, mm, v[`f.${it.file}`], it.pages * PAGE_SIZE, PROT_READ | PROT_WRITE, it.share === "MAP_SHARED" ? MAP_SHARED : MAP_PRIVATE);
          if (it.touch !== "none")
            for (let k = 0; k < it.pages; k++) user_access(w, mm, m + k * PAGE_SIZE, new Uint8Array(1), it.touch === "write");
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
      for (const [n, x] of splices(v)) {
        const y = splice_watch_step(w, x);
        if (y !== x) store_splice(v, n, y);
      }
      for (const { g, step } of steps) {
        if ((step.op !== "dio_read" && step.op !== "read_fixed") || v[`dio.${g}`] === undefined || v[`seen.${g}`] !== undefined) continue;
        if (!w.block.completions.some((x) => x.iocb === v[`dio.${g}`] && x.res > 0)) continue;
        const pos = file_pos(step);
        const m = read_mismatch(w, v[`p.${step.proc}`], v[`a.${step.buf}`] + pos, peek_disk(w, v[`f.${step.file}`], pos, io_len(step)));
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
    if ((step.op !== "dio_read" && step.op !== "read_fixed") || v[`dio.${g}`] === undefined) continue;
    const pos = file_pos(step);
    const done = v[`seen.${g}`] === 1;
    const device = peek_disk(w, v[`f.${step.file}`], pos, io_len(step));
    const at = v[`bad.${g}`];
    const detail = at === undefined || at < 0 ? undefined : read_detail({ at, mine: v[`mine.${g}`], device: v[`dev.${g}`] });
    const how = step.op === "dio_read" ? "O_DIRECT read" : "io_uring READ_FIXED";
    reads.push({ what: `${step.proc}'s ${how} into ${step.buf} page ${step.page} half ${step.half}`, ok: done ? at < 0 : null, detail });
    const sh = c.shared.find((m) => m.buf === step.buf);
    if (sh) {
      const synced = done && v[`synced.${sh.file}`] === 1;
      const got = peek_disk(w, v[`f.${sh.file}`], pos, io_len(step));
      const at = got.findIndex((b, i) => b !== device[i]);
      persisted.push({
        what: `the ${how} into ${sh.file}'s shared page ${step.page}`,
        ok: synced ? at < 0 : null,
        detail: at < 0 ? undefined : `after sync ${sh.file}'s byte ${pos + at} on disk is 0x${got[at].toString(16)}, not the 0x${device[at].toString(16)} the device wrote into its page`,
      });
    }
  }
  for (const k of Object.keys(v).filter((x) => x.startsWith("fx.")).sort()) {
    const [, proc, buf, page] = k.split(".");
    reads.push(fixed_buffer_outcome(w, v[`p.${proc}`], v[`a.${buf}`] + Number(page) * PAGE_SIZE, v[k], `${proc}'s io_uring fixed buffer at ${buf} page ${page}`));
  }
  for (const k of Object.keys(v).filter((x) => x.startsWith("pn.")).sort()) {
    const [, proc, buf, page] = k.split(".");
    if (v[`x.${proc}`]) continue; // the process exited: nothing of it to compare with
    reads.push(pin_outcome(w, v[`p.${proc}`], v[`a.${buf}`] + Number(page) * PAGE_SIZE, v[k], `${proc}'s ${pin_words(c, proc, buf, Number(page))} of ${buf} page ${page}`));
  }
  const xarray_reads: ReadOutcome[] = [];
  for (const { g, step } of c.steps) {
    if (step.op !== "xarray_read_end" || v[`xrp.${g}.0`] === undefined) continue;
    const pages: CachePage[] = [];
    for (let k = 0; v[`xrp.${g}.${k}`] !== undefined; k++) {
      const at = `xrp.${g}.${k}`;
      pages.push(v[at] === -3 ? { state: -3, at: v[`${at}.at`], got: v[`${at}.got`], want: v[`${at}.want`] } : { state: v[at] });
    }
    const detail = cache_detail(step.file!, pages);
    xarray_reads.push({ what: `the xarray read of ${step.file} (afs_read_dir)`, ok: !detail, ...(detail ? { detail: `completed, but ${detail}` } : {}) });
  }
  const who = (mm: number): string => Object.keys(v).find((k) => k.startsWith("p.") && v[k] === mm)?.slice(2) ?? `process ${mm}`;
  const spliced = splices(v).map(([, x]) => splice_outcome(x, `the pipe reader's drain of ${who(x.proc)}'s vmsplice`));
  return { w, quiescent: quiescent(s, c.scenario), reads, persisted, xarray_reads, spliced };
}

/** "R/O pin", "FOLL_WRITE | FOLL_LONGTERM pin": the flags of the pin step behind a pn. key. */
function pin_words(c: Compiled, proc: string, buf: string, page: number): string {
  const st = c.steps.find(({ step: x }) => x.op === "pin" && x.proc === proc && x.buf === buf && x.page === page)?.step;
  return `${st ? pin_flags_text(st) : "R/O"} pin`;
}

/** Every thread done and nothing in flight: a complete interleaving ends here. */
const complete = (c: Compiled, s: ScenarioState): boolean => quiescent(s, c.scenario);

/** Whether the outcome holds in s: a message saying how, or null. */
export function outcome_in(c: Compiled, s: ScenarioState): string | null {
  const o = c.lit.outcome;
  if ("property" in o) return world_properties.find((p) => p.id === o.property)!.check(litmus_view(c, s));
  if (!complete(c, s)) return null;
  if ("pin_result" in o) {
    for (const { g, step } of c.steps) {
      const got = s.vars[`pinres.${g}`];
      if (step.op !== "pin" || got === undefined || (got === 1) !== (o.pin_result === "granted")) continue;
      return `${step.proc}'s ${pin_flags_text(step)} pin of ${step.buf} page ${step.page} was ${o.pin_result}${got === 1 ? "" : ` (${errname(got)})`}`;
    }
    return null;
  }
  const b = o.pipe_holds.byte;
  const w = s.w;
  const unread = w.pipes[s.vars.pipe].bufs.some((x) => w.data_for_read.read(x.page).subarray(x.offset, x.offset + x.len).includes(b));
  return s.vars[`pipe.${b}`] || unread ? `the pipe delivers byte 0x${b.toString(16)}` : null;
}

export const outcome_text = (o: Outcome): string =>
  "property" in o ? o.property : "pin_result" in o ? `pin_result ${o.pin_result}` : `pipe_holds 0x${o.pipe_holds.byte.toString(16)}`;

/** The scenario model whose check is the outcome (for explore's shortest witness). */
export function litmus_model(c: Compiled, config: KernelConfig): Model<ScenarioState, ScenarioAction> {
  return scenario_model(c.scenario, config, (s) => {
    const why = outcome_in(c, s);
    return why ? { property: outcome_text(c.lit.outcome), message: why } : null;
  });
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
    const k = scenario_key(s);
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

/** A verdict as a table cell shows it: "Sometimes (4)", with "✗ expected Never" when it differs. */
export const cell = (r: Pick<VerdictResult, "verdict" | "witness" | "match"> & { expected?: Verdict | null }): string =>
  `${r.verdict}${r.witness !== null ? ` (${r.witness})` : ""}${r.match ? "" : ` ✗ expected ${r.expected}`}`;

/**
 * One file's results as the rows of the verdict table: the rows without a bug switch, then one
 * row per bug switch; in each, the result per era of ERAS (undefined: the file expects nothing there).
 */
export function verdict_grid(results: readonly VerdictResult[]): { bug: string | undefined; by_era: (VerdictResult | undefined)[] }[] {
  const bugs = [undefined, ...new Set(results.filter((r) => r.bug).map((r) => r.bug))];
  return bugs.map((bug) => ({ bug, by_era: ERAS.map((e) => results.find((x) => x.era === e.id && x.bug === bug)) }));
}

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
    for (const { bug, by_era } of verdict_grid(results)) {
      const name = `[${c.lit.id}](../${path})${bug ? ` + bug \`${bug}\`` : ""}`;
      lines.push(`| ${name} | ${outcome_text(c.lit.outcome)} | ${by_era.map((r) => (r ? cell(r) : "—")).join(" | ")} |`);
    }
  }
  lines.push("");
  for (const { c } of entries) lines.push(`- **${c.lit.id}**: ${c.lit.title}`);
  return `${lines.join("\n")}\n`;
}

/** Generate the whole table from the catalog as it is now. */
export function catalog_verdict_table(): string {
  return verdict_table(catalog_entries().map((e) => ({ ...e, results: litmus_verdicts(e.c) })));
}
