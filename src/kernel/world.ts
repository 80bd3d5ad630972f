// The simulated machine: one value holding every piece of kernel state, so that the engines can
// clone it, hash it and replay it. Nothing in src/kernel keeps state elsewhere (the one table
// outside, page_data.ts's page contents, is a content-addressed cache: no world can tell it is there).
//
// Clones are copy-on-access: a clone shares each part (the page frames, the address spaces,
// the block layer, ...) with the world it came from, and copies a part the first time its own
// code reaches for it. A step of the checker touches a few of the ten parts, so the others are
// never copied; the address spaces go one at a time (World.mm(i)), as a step mostly works in one
// process. Once a step's result is sealed nothing writes it again, so its parts are
// handed out as they are and, being immutable from then on, may be cached by identity
// (world_key.ts caches their encodings).
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
import { PageData } from "./mm/page_data.js";
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

// One bit per part.
const MEM = 1, KVM = 2, MMS = 4, INODES = 8, PIPES = 16, VMSTAT = 32, SWAP = 64, BLOCK = 128, EVENTS = 256, DATA = 512;
const ALL = 1023;
/** Address spaces tracked one by one (World.mm_own's bits); past them, all are copied at once. */
const MM_OWN_BITS = 31;
const PART_BITS = { mem: MEM, data: DATA, kvm: KVM, mms: MMS, inodes: INODES, pipes: PIPES, vmstat: VMSTAT, swap: SWAP, block: BLOCK, events: EVENTS };
export type WorldPart = keyof typeof PART_BITS;

export class World {
  /** Index into mms of current->mm (the task whose user addresses the iterators name). */
  current = -1;
  /** Parts this world may hand out as they are: those it owns alone (open), all (sealed). */
  private raw = ALL;
  /** Parts this world copied (or built) itself rather than took from the world it was cloned from. */
  private copied = ALL;
  private is_sealed = false;
  /**
   * The address spaces are copied one by one (a step mostly works in one process): whether this
   * world owns the mms array, and per address space (bit i: mms[i]) whether it owns that Mm.
   * Both are implied once MMS is raw.
   */
  private mms_array_own = false;
  private mm_own = 0;

  constructor(
    /** Which kernel behaviour the simulation follows (immutable; shared by clones). */
    readonly config: KernelConfig,
    private _mem: MemMap,
    private _data: PageData,
    private _kvm: KernelVm,
    private _mms: Mm[],
    private _inodes: Inode[],
    private _pipes: pipe_inode_info[],
    private _vmstat: VmStat,
    private _swap: SwapState,
    private _block: BlockState,
    private _events: KernelEvent[],
  ) {}

  /** The page frames: struct page counters and flags. */
  get mem(): MemMap {
    if (this.take(MEM)) this._mem = this._mem.clone();
    return this._mem;
  }
  /** The page frames, to read without copying them: see mms_for_read. */
  get mem_for_read(): Readonly<MemMap> {
    return this._mem;
  }
  /** The bytes of the page frames. */
  get data(): PageData {
    if (this.take(DATA)) this._data = this._data.clone();
    return this._data;
  }
  /** The bytes, to read without copying the table of buffers: see mms_for_read. */
  get data_for_read(): Readonly<PageData> {
    return this._data;
  }
  /** Kernel virtual memory: vmalloc/vmap areas and slab caches. */
  get kvm(): KernelVm {
    if (this.take(KVM)) this._kvm = clone_kernel_vm(this._kvm);
    return this._kvm;
  }
  /** Process address spaces, indexed by Mm.id (all of them this world's own; see mm() for one). */
  get mms(): Mm[] {
    if (this.raw & MMS) return this._mms;
    this.own_mms_array();
    for (let i = 0; i < this._mms.length; i++) if (!this.owns_mm(i)) this._mms[i] = clone_mm(this._mms[i]);
    this.mm_own = -1;
    this.take(MMS);
    return this._mms;
  }
  /** One address space, mms[i], this world's own without copying the others (undefined past the end). */
  mm(i: number): Mm | undefined {
    if (this.raw & MMS || i < 0 || i >= this._mms.length) return this._mms[i];
    if (i >= MM_OWN_BITS) return this.mms[i]; // past the bit mask: take them all
    if (this.owns_mm(i)) return this._mms[i];
    this.own_mms_array();
    this.mm_own |= 1 << i;
    return (this._mms[i] = clone_mm(this._mms[i]));
  }
  /**
   * The address spaces to read without copying them, for walks that never write (GUP-fast's
   * lockless page-table walk, rmap's search for the PTEs to change): writing through them would
   * write every world that shares them.
   */
  get mms_for_read(): readonly Readonly<Mm>[] {
    return this._mms;
  }
  /** mm_alloc()'s new address space, appended as this world's own, the others left shared. */
  add_mm(mm: Mm): void {
    if (!(this.raw & MMS)) {
      this.own_mms_array();
      if (this._mms.length < MM_OWN_BITS) this.mm_own |= 1 << this._mms.length;
    }
    this._mms.push(mm);
  }
  /** Whether this world copied mms[i] itself (bit i of mm_own; never past MM_OWN_BITS). */
  private owns_mm(i: number): boolean {
    return i < MM_OWN_BITS && (this.mm_own & (1 << i)) !== 0;
  }
  private own_mms_array(): void {
    if (this.mms_array_own) return;
    this._mms = this._mms.slice();
    this.mms_array_own = true;
    this.copied |= MMS;
  }
  /** Files, indexed by inode number. */
  get inodes(): Inode[] {
    if (this.take(INODES)) this._inodes = this._inodes.map(clone_inode);
    return this._inodes;
  }
  /** The files, to read without copying them (which file system, which flags): see mms_for_read. */
  get inodes_for_read(): readonly Readonly<Inode>[] {
    return this._inodes;
  }
  /** Pipes, by index. */
  get pipes(): pipe_inode_info[] {
    if (this.take(PIPES)) this._pipes = this._pipes.map(clone_pipe);
    return this._pipes;
  }
  get vmstat(): VmStat {
    if (this.take(VMSTAT)) this._vmstat = { ...this._vmstat };
    return this._vmstat;
  }
  /** The swap device and the swap cache. */
  get swap(): SwapState {
    if (this.take(SWAP)) this._swap = clone_swap_state(this._swap);
    return this._swap;
  }
  /** The swap device and cache, to read without copying them: see mms_for_read. */
  get swap_for_read(): Readonly<SwapState> {
    return this._swap;
  }
  /** The block layer: bios, the simulated device's queue, deferred work, DIO requests, aio completions. */
  get block(): BlockState {
    if (this.take(BLOCK)) this._block = clone_block_state(this._block);
    return this._block;
  }
  get events(): KernelEvent[] {
    if (this.take(EVENTS)) this._events = this._events.slice();
    return this._events;
  }

  /** Whether the part (bit) must be copied before it is handed out: then it is this world's own. */
  private take(bit: number): boolean {
    if (this.raw & bit) return false;
    this.raw |= bit;
    this.copied |= bit;
    return true;
  }

  /** Whether seal_world() declared this world finished. */
  get sealed(): boolean {
    return this.is_sealed;
  }

  /**
   * Whether part p is the very object of the world this one was cloned from, and stays so:
   * this world is sealed and its step never reached for p. Such a part is shared and immutable.
   */
  inherited(p: WorldPart): boolean {
    return this.is_sealed && !(this.copied & PART_BITS[p]);
  }

  /** inherited() for one address space, mms[i], when the array itself may be this world's own. */
  inherited_mm(i: number): boolean {
    if (!this.is_sealed) return false;
    if (!(this.copied & MMS)) return true;
    return this.mms_array_own && i < MM_OWN_BITS && !this.owns_mm(i);
  }

  /** A clone sharing every part; from now on neither side writes a shared part in place. */
  clone(): World {
    if (!this.is_sealed) {
      this.raw = 0;
      this.mms_array_own = false;
      this.mm_own = 0;
    }
    const c = new World(this.config, this._mem, this._data, this._kvm, this._mms, this._inodes, this._pipes, this._vmstat, this._swap, this._block, this._events);
    c.current = this.current;
    c.raw = 0;
    c.copied = 0;
    return c;
  }

  /** See seal_world. */
  seal(): this {
    this.is_sealed = true;
    this.raw = ALL;
    return this;
  }
}

export function boot(config: KernelConfig = CURRENT_CONFIG): World {
  return new World(
    config, MemMap.boot(), PageData.empty(), empty_kernel_vm(), [], [], [], { nr_foll_pin_acquired: 0, nr_foll_pin_released: 0 },
    empty_swap_state(), empty_block_state(), [],
  );
}

/** A copy that shares every part (and every page's bytes) with w until one side writes it. */
export const clone_world = (w: World): World => w.clone();

/**
 * Declare w finished: the engines' states are never written after their step, so a sealed
 * world reads its parts without copying them, however many clones share them. Writing a sealed
 * world is a bug (it would write its clones' parts too); test/sealed_states.test.ts checks every
 * model keeps to that.
 */
export const seal_world = (w: World): World => w.seal();

/**
 * For a world kept a while (a state in the explorer's frontier): the pages its own step wrote
 * give up their buffers for the interned ones with the same bytes (page_data.ts), so the
 * frontier holds one buffer per page content. Nothing a reader can tell.
 */
export function compact_world(w: World): World {
  if (!w.inherited("data")) w.data.intern(); // else the world it came from was compacted, or is not kept
  return w;
}

/** current->mm; a kernel thread has none. */
export function current_mm(w: World): Mm | undefined {
  return w.mm(w.current);
}
