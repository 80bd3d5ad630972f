// The bounded configuration: instead of fixed threads, the engine may at every step let any
// live process write half a page of its buffer, fork, exit, start an async O_DIRECT read or
// write of half a page, register a page as an io_uring fixed buffer (a long-term pin) or
// unregister it, vmsplice half a page into a pipe (page references) or drain the pipe, or have
// kswapd reclaim a page of a buffer (shrink_folio_list(), which unlike MADV_PAGEOUT also takes
// pages a fork shares); the device and the workqueue step whenever they can. Bounds keep it finite:
// processes, buffer pages, I/Os in flight, steps. A program does not touch a half page while
// its own I/O on it is in flight (that would be its bug).
import { first_broken } from "../../properties/property.js";
import type { ReadOutcome, WorldProperty, WorldView } from "../../properties/world_property.js";
import type { KernelConfig, World } from "../kernel/index.js";
import type { io_mapped_ubuf } from "../kernel/index.js";
import {
  aio_read, aio_write, blk_dev_complete, blk_dev_transfer, boot, clone_world, compact_world, exit_mmap, fork_mm, init_async_kiocb,
  io_buffer_unmap, io_sqe_buffer_register, iov_iter_ubuf, kmalloc, mmap_anon, PAGE_SIZE, pipe_create, PROT_READ,
  PROT_WRITE, READ, run_work, seal_world, shrink_mapped_folio, user_access, WRITE,
} from "../kernel/index.js";
import { block_idle } from "./scenario.js";
import type { SpliceWatch } from "./splice_watch.js";
import { drain_watched, splice_outcome, splice_watch_step, vmsplice_watched } from "./splice_watch.js";
import type { Model } from "./explore.js";
import { disk_file, run_new_process } from "./fixtures.js";
import type { MachineCoverage } from "./monitor.js";
import { monitor_step, new_coverage } from "./monitor.js";
import { fixed_buffer_outcome, peek_disk, read_outcome } from "./peek.js";
import { encode_world, remember, remembered, world_key } from "./world_key.js";
import { json_words } from "./words.js";

export interface CatalogBounds {
  /** Processes alive at once (the first plus forked children). */
  processes: number;
  /** Pages in each process's buffer. */
  pages: number;
  /** Direct I/Os submitted and not yet completed. */
  in_flight: number;
  /** io_uring fixed buffers registered at once. */
  fixed: number;
}

export const default_catalog_bounds: CatalogBounds = { processes: 2, pages: 1, in_flight: 1, fixed: 1 };

/** The catalog bounds in words, as the commands and the report state them. */
export const bounds_text = (b: CatalogBounds): string =>
  `${b.processes} processes, ${b.pages} page(s), ${b.in_flight} I/O in flight, ${b.fixed} fixed buffer(s)`;

const HALF = PAGE_SIZE / 2;

/** Half a page of one byte value, made once: a write only reads it. */
const halves: Uint8Array[] = [];
const half_of = (byte: number): Uint8Array => (halves[byte] ??= new Uint8Array(HALF).fill(byte));

/** A direct I/O the engine started. */
export interface Io {
  iocb: number;
  proc: number;
  page: number;
  half: number;
  read: boolean;
  /** The bios its submission created. */
  bios: number[];
  /** For a read: the bytes the device read, captured at the transfer, as remember() hashed them. */
  expected: number | null;
  /** Set when its completion is reported; for a read, whether the reader got the device's bytes. */
  outcome: { ok: boolean; detail?: string } | null;
}

/** A registered io_uring fixed buffer: one page of a process's buffer, pinned. */
export interface Fixed {
  proc: number;
  page: number;
  imu: io_mapped_ubuf;
}

export interface CatalogState {
  w: World;
  /** Live processes (mm indices); the first is the original and never exits. */
  procs: number[];
  buf: number;
  ino: number;
  ios: Io[];
  fixed: Fixed[];
  /** The pipe vmsplice feeds (index in w.pipes) and a kernel buffer a drain reads into. */
  pipe: number;
  sink: number;
  /** What each vmspliced pipe buffer must deliver (src/check/splice_watch.ts); drained ones for one state. */
  splices: SpliceWatch[];
}

export type CatalogAction =
  | { op: "write" | "dio_read" | "dio_write"; proc: number; page: number; half: number }
  | { op: "reclaim" | "register" | "unregister"; proc: number; page: number }
  | { op: "vmsplice"; proc: number; page: number; half: number }
  | { op: "fork" | "exit"; proc: number }
  | { op: "pipe_read" }
  | { op: "device_transfer" | "device_complete"; bio: number }
  | { op: "work" };

export function describe_catalog_action(a: CatalogAction): string {
  switch (a.op) {
    case "write": return `process ${a.proc}: write page ${a.page} half ${a.half}`;
    case "dio_read": return `process ${a.proc}: O_DIRECT read into page ${a.page} half ${a.half} (async)`;
    case "dio_write": return `process ${a.proc}: O_DIRECT write from page ${a.page} half ${a.half} (async)`;
    case "reclaim": return `kswapd: reclaim the page mapped at page ${a.page} of process ${a.proc} (shrink_folio_list)`;
    case "register": return `process ${a.proc}: io_uring register page ${a.page} as a fixed buffer`;
    case "unregister": return `process ${a.proc}: io_uring unregister the fixed buffer at page ${a.page}`;
    case "vmsplice": return `process ${a.proc}: vmsplice page ${a.page} half ${a.half} into the pipe`;
    case "pipe_read": return "reader: drain the pipe";
    case "fork": return `process ${a.proc}: fork()`;
    case "exit": return `process ${a.proc}: exit()`;
    case "work": return "kworker: run queued work";
    default: return `device: ${a.op === "device_transfer" ? "transfer" : "complete"} bio ${a.bio}`;
  }
}

export function catalog_initial(config: KernelConfig, b: CatalogBounds): CatalogState {
  const w = boot(config);
  const mm = run_new_process(w);
  const buf = mmap_anon(w, mm, b.pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
  user_access(w, mm, buf, new Uint8Array(b.pages * PAGE_SIZE).fill(0xaa), true);
  const ino = disk_file(w, b.pages);
  w.pipes.push(pipe_create());
  const sink = kmalloc(w, PAGE_SIZE);
  // Sealed and compacted: the initial state is kept for the whole run.
  return { w: compact_world(seal_world(w)), procs: [mm.id], buf, ino, ios: [], fixed: [], pipe: w.pipes.length - 1, sink, splices: [] };
}

/** The user address of half `half` of page `page` of the processes' buffer. */
const addr = (s: CatalogState, page: number, half: number): number => s.buf + page * PAGE_SIZE + half * HALF;

const pending = (s: CatalogState): Io[] => s.ios.filter((io) => !io.outcome);

function catalog_actions(s: CatalogState, b: CatalogBounds): CatalogAction[] {
  const out: CatalogAction[] = [];
  const busy = pending(s);
  for (const proc of s.procs) {
    for (let page = 0; page < b.pages; page++) {
      for (let half = 0; half < 2; half++) {
        if (busy.some((io) => io.proc === proc && io.page === page && io.half === half)) continue;
        out.push({ op: "write", proc, page, half });
        if (busy.length < b.in_flight) out.push({ op: "dio_read", proc, page, half }, { op: "dio_write", proc, page, half });
      }
      out.push({ op: "reclaim", proc, page });
      const fixed = s.fixed.some((f) => f.proc === proc && f.page === page);
      if (fixed) out.push({ op: "unregister", proc, page });
      else if (s.fixed.length < b.fixed) out.push({ op: "register", proc, page });
      if (!s.w.pipes[s.pipe].bufs.length) for (let half = 0; half < 2; half++) out.push({ op: "vmsplice", proc, page, half });
    }
    if (s.procs.length < b.processes) out.push({ op: "fork", proc });
    const owns = busy.some((io) => io.proc === proc) || s.fixed.some((f) => f.proc === proc);
    if (proc !== s.procs[0] && !owns) out.push({ op: "exit", proc });
  }
  if (s.w.pipes[s.pipe].bufs.length) out.push({ op: "pipe_read" });
  for (const bio of s.w.block.in_flight) out.push({ op: "device_transfer", bio });
  for (const bio of s.w.block.transferred) out.push({ op: "device_complete", bio });
  if (s.w.block.work.length) out.push({ op: "work" });
  return out;
}

export function catalog_step(s: CatalogState, a: CatalogAction): CatalogState {
  const w = clone_world(s.w);
  const t: CatalogState = { ...s, w, procs: s.procs.slice(), ios: s.ios.map((io) => ({ ...io })), fixed: s.fixed.slice() };
  t.splices = s.splices.filter((x) => x.got === null); // drained ones were judged in s
  switch (a.op) {
    case "write":
      user_access(w, w.mms_for_read[a.proc], addr(s, a.page, a.half), half_of(0xb0 + a.proc), true);
      break;
    case "dio_read":
    case "dio_write": {
      w.current = a.proc;
      const iocb = init_async_kiocb(w, s.ino, a.page * PAGE_SIZE + a.half * HALF);
      const dir = a.op === "dio_read" ? READ : WRITE;
      const first_bio = w.block.bios.length;
      // io_submit(): ext4 may complete a write before returning (ext4_dio_write_iter).
      (dir === READ ? aio_read : aio_write)(w, iocb, iov_iter_ubuf(w, dir, addr(s, a.page, a.half), HALF));
      const bios = Array.from({ length: w.block.bios.length - first_bio }, (_, k) => first_bio + k);
      t.ios.push({ iocb: iocb.id, proc: a.proc, page: a.page, half: a.half, read: dir === READ, bios, expected: null, outcome: null });
      break;
    }
    case "reclaim": shrink_mapped_folio(w, w.mms_for_read[a.proc], addr(s, a.page, 0)); break;
    case "register": {
      w.current = a.proc;
      const imu = io_sqe_buffer_register(w, addr(s, a.page, 0), PAGE_SIZE);
      if (typeof imu !== "number") t.fixed.push({ proc: a.proc, page: a.page, imu });
      break;
    }
    case "unregister": {
      const k = t.fixed.findIndex((f) => f.proc === a.proc && f.page === a.page);
      io_buffer_unmap(w, t.fixed[k].imu);
      t.fixed.splice(k, 1);
      break;
    }
    case "vmsplice":
      t.splices = [...t.splices, ...vmsplice_watched(w, w.pipes[s.pipe], a.proc, addr(s, a.page, a.half), HALF)];
      break;
    case "pipe_read":
      t.splices = drain_watched(w, w.pipes[s.pipe], s.sink, PAGE_SIZE, t.splices).watches.filter((x) => x !== null);
      break;
    case "fork": t.procs.push(fork_mm(w, a.proc)); break;
    case "exit": exit_mmap(w, w.mm(a.proc)!); t.procs = t.procs.filter((p) => p !== a.proc); break;
    case "device_transfer": {
      // What a read will deliver is what the disk holds when the device reads it, not later.
      const io = t.ios.find((x) => x.read && x.bios.includes(a.bio));
      if (io && io.expected === null) io.expected = remember(peek_disk(w, s.ino, io.page * PAGE_SIZE + io.half * HALF, HALF));
      blk_dev_transfer(w, a.bio);
      break;
    }
    case "device_complete": blk_dev_complete(w, a.bio); break;
    case "work": run_work(w); break;
  }
  // What follows only looks, so the world is finished here: looking copies nothing.
  seal_world(w);
  t.splices = t.splices.map((x) => splice_watch_step(w, x)).filter((x) => x !== null);
  // Observe completions the moment they are reported: what did each reader get?
  for (const io of pending(t)) {
    if (!w.block.completions.some((c) => c.iocb === io.iocb)) continue;
    io.outcome = io.read && io.expected !== null ? read_outcome(w, io.proc, addr(s, io.page, io.half), remembered(io.expected)) : { ok: true };
  }
  return t;
}

export function catalog_view(s: CatalogState): WorldView {
  const reads: ReadOutcome[] = s.ios.filter((io) => io.read).map((io) => ({
    what: `process ${io.proc}'s O_DIRECT read into page ${io.page} half ${io.half}`,
    ok: io.outcome ? io.outcome.ok : null,
    detail: io.outcome?.detail,
  }));
  for (const f of s.fixed)
    reads.push(fixed_buffer_outcome(s.w, f.proc, addr(s, f.page, 0), f.imu.pages[0], `process ${f.proc}'s io_uring fixed buffer at page ${f.page}`));
  const quiescent = !pending(s).length && block_idle(s.w) && !s.fixed.length && !s.w.pipes[s.pipe].bufs.length;
  const spliced = s.splices.map((x) => {
    const page = Math.floor((x.addr - s.buf) / PAGE_SIZE);
    return splice_outcome(x, `the pipe reader's drain of process ${x.proc}'s vmsplice of page ${page} half ${Math.floor(((x.addr - s.buf) % PAGE_SIZE) / HALF)}`);
  });
  return { w: s.w, quiescent, reads, persisted: [], spliced };
}

/** The catalog as a model: the properties are checked on view(s) (catalog_view, or a memo of it). */
export function catalog_model(
  config: KernelConfig, b: CatalogBounds, properties: readonly WorldProperty[], coverage: MachineCoverage = new_coverage(),
  view: (s: CatalogState) => WorldView = catalog_view,
): Model<CatalogState, CatalogAction> {
  const init = catalog_initial(config, b);
  return {
    initial: () => [init],
    actions: (s) => catalog_actions(s, b),
    step: catalog_step,
    key: (s) => `${s.procs.join(",")}|${JSON.stringify(s.ios)}|${s.fixed.map((f) => `${f.proc}:${f.page}:${f.imu.pages}`)}|${JSON.stringify(s.splices)}|${world_key(s.w)}`,
    encode(s, out) {
      json_words(out, s.procs);
      json_words(out, s.ios);
      out.push(s.fixed.length);
      for (const f of s.fixed) {
        json_words(out, f.proc);
        json_words(out, f.page);
        json_words(out, f.imu.pages);
      }
      json_words(out, s.splices);
      encode_world(s.w, out);
    },
    check_step: (s, _a, t) => monitor_step(s.w, t.w, coverage),
    retain: (s) => compact_world(s.w),
    check: (s) => first_broken(properties, view(s)),
  };
}
