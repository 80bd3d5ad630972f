// The simulated machine: one plain value holding every piece of kernel state, so that the
// engines can clone it, hash it and replay it. Nothing in src/kernel keeps state elsewhere.
import type { BlockState } from "./block/blk_state.js";
import { clone_block_state, empty_block_state } from "./block/blk_state.js";
import type { Inode } from "./fs/inode.js";
import { clone_inode } from "./fs/inode.js";
import type { pipe_inode_info } from "./fs/pipe.js";
import { clone_pipe } from "./fs/pipe.js";
import type { KernelConfig } from "./eras.js";
import { CURRENT_CONFIG } from "./eras.js";
import type { KernelEvent } from "./include/bug.js";
import { MemMap } from "./mm/mem_map.js";
import type { SwapState } from "./mm/swapfile.js";
import { clone_swap_state, empty_swap_state } from "./mm/swapfile.js";
import type { Mm } from "./mm/mm_types.js";
import { clone_mm } from "./mm/mm_types.js";
import type { KernelVm } from "./mm/vmalloc.js";
import { clone_kernel_vm, empty_kernel_vm } from "./mm/vmalloc.js";

/** include/linux/mmzone.h node_stat_item counters the simulation keeps (mm/gup.c updates them). */
export interface VmStat {
  nr_foll_pin_acquired: number;
  nr_foll_pin_released: number;
  /**
   * Not a kernel counter: pins folio_add_pin() added, which the kernel counts in neither of the
   * two above although their unpin counts as released (mm/gup.c). Absent until the first one.
   */
  foll_pin_added?: number;
}

export interface World {
  /** Which kernel behaviour the simulation follows (immutable; shared by clones). */
  config: KernelConfig;
  mem: MemMap;
  /** Kernel virtual memory: vmalloc/vmap areas and slab caches. */
  kvm: KernelVm;
  /** Process address spaces, indexed by Mm.id. */
  mms: Mm[];
  /** Index into mms of current->mm (the task whose user addresses the iterators name). */
  current: number;
  /** Files, indexed by inode number. */
  inodes: Inode[];
  /** Pipes, by index. */
  pipes: pipe_inode_info[];
  vmstat: VmStat;
  /** The swap device and the swap cache. */
  swap: SwapState;
  /** The block layer: bios, the simulated device's queue, deferred work, DIO requests, aio completions. */
  block: BlockState;
  events: KernelEvent[];
}

export function boot(config: KernelConfig = CURRENT_CONFIG): World {
  return {
    config,
    mem: MemMap.boot(),
    kvm: empty_kernel_vm(),
    mms: [],
    current: -1,
    inodes: [],
    pipes: [],
    vmstat: { nr_foll_pin_acquired: 0, nr_foll_pin_released: 0 },
    swap: empty_swap_state(),
    block: empty_block_state(),
    events: [],
  };
}

/** A copy that shares every page's bytes with w until one of them writes that page. */
export function clone_world(w: World): World {
  return {
    config: w.config,
    mem: w.mem.clone(),
    kvm: clone_kernel_vm(w.kvm),
    mms: w.mms.map(clone_mm),
    current: w.current,
    inodes: w.inodes.map(clone_inode),
    pipes: w.pipes.map(clone_pipe),
    vmstat: { ...w.vmstat },
    swap: clone_swap_state(w.swap),
    block: clone_block_state(w.block),
    events: w.events.slice(),
  };
}

/** current->mm; a kernel thread has none. */
export function current_mm(w: World): Mm | undefined {
  return w.mms[w.current];
}
