// H7 in the simulated kernel (fs/afs/dir.c afs_read_dir() over ITER_XARRAY, mm/truncate.c
// invalidate_inode_pages2_range()): a creator that keeps the covered folios locked makes the
// invalidation wait and gets the whole reply into the page cache; afs's unlocked folios (the
// xarray-unlocked-folios switch) let the invalidation punch a hole that iterate_xarray() skips.
import { describe, expect, it } from "vitest";
import type { afs_read, World } from "../src/kernel/index.js";
import {
  __filemap_get_folio, afs_deliver_fetch_data, afs_fetch_data_pending, afs_read_dir, afs_read_dir_done, boot, config_for,
  create_file, EAGAIN, EIO, ENOENT, FGP_CREAT, FGP_LOCK, filemap_get_folio, folio_test_locked, folio_trylock, folio_unlock,
  invalidate_inode_pages2_range, PAGE_SIZE, run_work,
} from "../src/kernel/index.js";

/** The fileserver's byte i of directory page k. */
const server = (k: number, i: number): number => (0x40 + 3 * k + i) & 0xff;

/** A 2-page afs directory whose fileserver holds server(k, i); nothing cached yet. */
function afs_dir(bug?: string): { w: World; ino: number } {
  const w = boot(config_for(bug)!);
  const ino = create_file(w, "afs");
  for (let k = 0; k < 2; k++) w.inodes[ino].disk.set(k, Uint8Array.from({ length: PAGE_SIZE }, (_, i) => server(k, i)));
  w.inodes[ino].i_size = 2 * PAGE_SIZE;
  return { w, ino };
}

const cached = (w: World, ino: number, k: number): number => filemap_get_folio(w, w.inodes[ino], k, false);
const holds = (w: World, folio: number, k: number): boolean => w.data.read(folio).every((b, i) => b === server(k, i));

describe("folio lock and __filemap_get_folio (mm/filemap.c)", () => {
  it("FGP_CREAT adds an unread folio with the caller's reference; FGP_LOCK locks it; a held lock answers -EAGAIN", () => {
    const { w, ino } = afs_dir();
    const inode = w.inodes[ino];
    expect(__filemap_get_folio(w, inode, 0, FGP_LOCK)).toBe(-ENOENT);
    const f = __filemap_get_folio(w, inode, 0, FGP_LOCK | FGP_CREAT);
    expect(f).toBeGreaterThan(0);
    expect(w.mem.refcount[f]).toBe(2); // the page cache's and the caller's
    expect(folio_test_locked(w, f)).toBe(true);
    expect(w.data.read(f).every((b) => b === 0)).toBe(true); // nothing read: the caller fills it
    expect(__filemap_get_folio(w, inode, 0, FGP_LOCK)).toBe(-EAGAIN);
    expect(folio_trylock(w, f)).toBe(false);
    folio_unlock(w, f);
    expect(folio_trylock(w, f)).toBe(true);
    folio_unlock(w, f);
    folio_unlock(w, f); // unlocking an unlocked folio is VM_BUG_ON_FOLIO
    expect(w.events.map((e) => `${e.kind} ${e.fn}`)).toEqual(["BUG folio_unlock"]);
  });

  it("invalidate_inode_pages2_range() leaves a locked folio alone (-EAGAIN: it would sleep) and drops it once unlocked", () => {
    const { w, ino } = afs_dir();
    const inode = w.inodes[ino];
    const f = __filemap_get_folio(w, inode, 0, FGP_LOCK | FGP_CREAT);
    expect(invalidate_inode_pages2_range(w, inode, 0, 0)).toBe(-EAGAIN);
    expect(cached(w, ino, 0)).toBe(f);
    folio_unlock(w, f);
    expect(invalidate_inode_pages2_range(w, inode, 0, 0)).toBe(0);
    expect(cached(w, ino, 0)).toBe(-1);
    expect(w.mem.refcount[f]).toBe(1); // only the caller's reference keeps it: detached
    expect(w.mem.mapping[f]).toBe(-1);
  });
});

describe("afs_read_dir() over ITER_XARRAY (H7)", () => {
  it("without the switch: the folios stay locked until the reply is in, the invalidation must wait, the page cache gets the whole directory", () => {
    const { w, ino } = afs_dir();
    const req = afs_read_dir(w, ino) as afs_read;
    expect(req.folios).toHaveLength(2);
    for (const f of req.folios) {
      expect(folio_test_locked(w, f)).toBe(true);
      expect(w.mem.refcount[f]).toBe(2);
    }
    expect(afs_fetch_data_pending(w, ino)).toBe(true);
    // The invalidation cannot take the folio lock while the read is in flight.
    expect(invalidate_inode_pages2_range(w, w.inodes[ino], 0, 0)).toBe(-EAGAIN);
    expect(run_work(w)).toBe(true); // the reply's delivery
    expect(afs_fetch_data_pending(w, ino)).toBe(false);
    afs_read_dir_done(w, req);
    for (let k = 0; k < 2; k++) {
      const f = cached(w, ino, k);
      expect(f).toBe(req.folios[k]);
      expect(holds(w, f, k)).toBe(true);
      expect(folio_test_locked(w, f)).toBe(false);
      expect(w.mem.refcount[f]).toBe(1); // the page cache's alone
    }
    // Now it may go.
    expect(invalidate_inode_pages2_range(w, w.inodes[ino], 0, 1)).toBe(0);
    expect(w.events).toEqual([]);
  });

  it("with xarray-unlocked-folios: page 0 is invalidated under the unlocked iterator; the reply's page 0 lands in page 1's folio and the copy stops short", () => {
    const { w, ino } = afs_dir("xarray-unlocked-folios");
    const req = afs_read_dir(w, ino) as afs_read;
    const [f0, f1] = req.folios;
    expect(folio_test_locked(w, f0) || folio_test_locked(w, f1)).toBe(false); // references only
    expect(invalidate_inode_pages2_range(w, w.inodes[ino], 0, 0)).toBe(0);
    expect(cached(w, ino, 0)).toBe(-1);
    // iterate_xarray() skips the hole at index 0: the first 4096 bytes go to index 1's folio,
    // then there is no further entry and the copy ends there.
    expect(afs_deliver_fetch_data(w, ino)).toBe(PAGE_SIZE);
    expect(holds(w, f1, 0)).toBe(true);
    expect(holds(w, f0, 0)).toBe(false); // the detached folio afs still holds got nothing
    afs_read_dir_done(w, req);
    // afs_dir_read_cleanup() found its folios again by index: the detached one keeps afs's reference.
    expect(w.mem.refcount[f1]).toBe(1);
    expect(w.mem.refcount[f0]).toBe(1);
    expect(w.mem.mapping[f0]).toBe(-1);
    expect(w.events).toEqual([]);
  });

  it("with xarray-unlocked-folios but no invalidation, the read is as correct as the locked one", () => {
    const { w, ino } = afs_dir("xarray-unlocked-folios");
    const req = afs_read_dir(w, ino) as afs_read;
    expect(run_work(w)).toBe(true);
    afs_read_dir_done(w, req);
    for (let k = 0; k < 2; k++) {
      expect(holds(w, cached(w, ino, k), k)).toBe(true);
      expect(w.mem.refcount[cached(w, ino, k)]).toBe(1);
    }
  });

  it.each([undefined, "xarray-unlocked-folios"])("a folio someone else holds locked: -EIO, and the folios already taken are unlocked and put (%s)", (bug) => {
    const { w, ino } = afs_dir(bug);
    const inode = w.inodes[ino];
    const other = __filemap_get_folio(w, inode, 1, FGP_LOCK | FGP_CREAT); // another reader's, locked
    expect(afs_read_dir(w, ino)).toBe(-EIO);
    const f0 = cached(w, ino, 0);
    expect(folio_test_locked(w, f0)).toBe(false);
    expect(w.mem.refcount[f0]).toBe(1); // the page cache's only: the request's reference is put
    expect(folio_test_locked(w, other)).toBe(true);
    expect(w.mem.refcount[other]).toBe(2);
    expect(afs_fetch_data_pending(w, ino)).toBe(false);
    expect(w.events).toEqual([]);
  });

  it("a directory smaller than one 2048-byte block is refused", () => {
    const w = boot();
    const ino = create_file(w, "afs");
    w.inodes[ino].i_size = 1024;
    expect(afs_read_dir(w, ino)).toBe(-EIO);
    expect(afs_fetch_data_pending(w, ino)).toBe(false);
  });
});
