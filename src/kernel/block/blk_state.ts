// kernel/workqueue.c and the block layer's global state: the world's record of bios, what the
// simulated device has in flight, deferred work, direct-I/O requests and aio completions.
// Everything lives here (w.block) so that a world clone carries in-flight I/O with it.
import type { World } from "../world.js";
import type { kiocb, ki_completion } from "../fs/kiocb.js";
import type { iomap_dio } from "../fs/iomap/direct_io.js";
import type { dio } from "../fs/direct_io.js";
import type { netfs_io_request } from "../fs/netfs/direct.js";
import type { bio } from "./bio.js";

/** A queued work_struct: the function by name and its one argument (an id, or 0). */
export interface work_struct {
  fn: string;
  arg: number;
}

export interface BlockState {
  /** Every bio by id; null once bio_put() freed it. */
  bios: (bio | null)[];
  /** Submitted bios whose data the device has not moved yet, in submission order. */
  in_flight: number[];
  /** Bios whose data moved; the device has yet to signal completion (bio_endio). */
  transferred: number[];
  /** bio_dirty_list: bios bio_check_pages_dirty() handed to bio_dirty_fn(). */
  bio_dirty_list: number[];
  /** Pending work items, in queueing order (system_wq and sb->s_dio_done_wq alike). */
  work: work_struct[];
  kiocbs: kiocb[];
  /** Live iomap_dio structures by id; null once iomap_dio_complete() freed them. */
  dios: (iomap_dio | null)[];
  /** ->ki_complete() calls, in order: what an aio user would reap. */
  completions: ki_completion[];
  /** iomap's 64 KiB zero folio for sub-block zeroing, allocated on first use; -1 before. */
  iomap_zero_page: number;
  /** netfs direct-I/O requests by id; null once freed. */
  netfs: (netfs_io_request | null)[];
  /** fs/direct-io.c's struct dio by id (the legacy buffer_head DIO); null once dio_complete() freed it. */
  blockdev_dios: (dio | null)[];
}

export const empty_block_state = (): BlockState => ({
  bios: [], in_flight: [], transferred: [], bio_dirty_list: [], work: [], kiocbs: [], dios: [],
  completions: [], iomap_zero_page: -1, netfs: [],
  blockdev_dios: [],
});

export const clone_block_state = (b: BlockState): BlockState => ({
  bios: b.bios.map((x) => x && { ...x, bi_iter: { ...x.bi_iter }, bi_io_vec: x.bi_io_vec.map((v) => ({ ...v })) }),
  in_flight: b.in_flight.slice(),
  transferred: b.transferred.slice(),
  bio_dirty_list: b.bio_dirty_list.slice(),
  work: b.work.map((x) => ({ ...x })),
  kiocbs: b.kiocbs.map((x) => ({ ...x })),
  dios: b.dios.map((x) => x && { ...x }),
  completions: b.completions.map((x) => ({ ...x })),
  iomap_zero_page: b.iomap_zero_page,
  netfs: b.netfs.map((x) => x && { ...x, bvec: x.bvec.map((v) => ({ ...v })) }),
  blockdev_dios: b.blockdev_dios.map((x) => x && { ...x, bio_list: x.bio_list.slice() }),
});

// Work functions are code, not state: modules register theirs by name when loaded.
const work_fns = new Map<string, (w: World, arg: number) => void>();

export function register_work_fn(name: string, fn: (w: World, arg: number) => void): void {
  work_fns.set(name, fn);
}

/** queue_work()/schedule_work(): false if this very item is already pending (the kernel's test-and-set). */
export function queue_work(w: World, fn: string, arg = 0): boolean {
  if (w.block.work.some((x) => x.fn === fn && x.arg === arg)) return false;
  w.block.work.push({ fn, arg });
  return true;
}

/** A kworker runs pending item k (default the oldest); false if there is none. */
export function run_work(w: World, k = 0): boolean {
  const item = w.block.work[k];
  if (!item) return false;
  w.block.work.splice(k, 1);
  const fn = work_fns.get(item.fn);
  if (!fn) throw new Error(`no work function registered as ${item.fn}`);
  fn(w, item.arg);
  return true;
}

/** Run work until none is pending (items queued meanwhile included). */
export function flush_work(w: World): void {
  while (run_work(w));
}
