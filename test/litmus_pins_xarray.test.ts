// The scenario vocabulary for GUP pins (pin, unpin, madvise_dontfork, the pin_result outcome),
// for ITER_XARRAY reads into a page cache (afs files, xarray_read_start/_end, invalidate), and
// the scenario files built on them: cow.c and gup_longterm.c cases, and H7.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { explore } from "../src/check/explore.js";
import type { Compiled, VerdictResult } from "../src/check/litmus.js";
import {
  catalog_files, compile_litmus, display_path, litmus_verdicts, load_litmus, outcome_in, validate_litmus,
} from "../src/check/litmus.js";
import { apply_action, enabled_actions, initial_state } from "../src/check/scenario.js";
import type { ScenarioState } from "../src/check/scenario.js";
import { scenario_targets } from "../src/check/targets.js";
import { config_for } from "../src/kernel/index.js";
import type { LitmusDoc } from "./helpers/litmus.js";
import { litmus_doc, litmus_refusal } from "./helpers/litmus.js";

const tmp = mkdtempSync(join(tmpdir(), "pincheck-pins-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A valid file with a pin, to break in one place. */
const pins = () => litmus_doc(
  [
    { process: "P", pages: 1, fill: 170 },
    { file: "F", fs: "ext4", pages: 1 },
    { mapping: "m", proc: "P", file: "F", share: "MAP_SHARED", pages: 1, touch: "write" },
  ],
  { P: [
    { op: "pin", proc: "P", page: 0, flags: ["FOLL_WRITE", "FOLL_LONGTERM"] },
    { op: "madvise_dontfork", proc: "P", page: 0 },
    { op: "unpin", proc: "P", page: 0 },
  ] },
  { pin_result: "refused" },
);

/** A valid file with an xarray read, to break in one place. */
const xarray = () => litmus_doc(
  [{ file: "D", fs: "afs", pages: 2 }],
  { ls: [{ op: "xarray_read_start", file: "D" }, { op: "xarray_read_end", file: "D" }], cb: [{ op: "invalidate", file: "D", page: 1 }] },
  { property: "no-invalidate-under-iterator" },
);

describe("validation of the new ops, fields and outcomes", () => {
  const cases: [string, () => LitmusDoc, (o: LitmusDoc) => void, RegExp][] = [
    ["a pin flag that is not FOLL_WRITE or FOLL_LONGTERM", pins, (o) => void (o.threads[0].steps[0].flags = ["FOLL_WRITE", "FOLL_GET"]),
      /^bad\.json: threads\[0\]\.steps\[0\]\.flags\[1\] must be one of FOLL_WRITE, FOLL_LONGTERM, got 'FOLL_GET'$/],
    ["pin flags that are not an array", pins, (o) => void (o.threads[0].steps[0].flags = "FOLL_WRITE"),
      /^bad\.json: threads\[0\]\.steps\[0\]\.flags must be an array of FOLL_WRITE, FOLL_LONGTERM \(a subset\), got 'FOLL_WRITE'$/],
    ["a pin flag given twice", pins, (o) => void (o.threads[0].steps[0].flags = ["FOLL_LONGTERM", "FOLL_LONGTERM"]),
      /^bad\.json: threads\[0\]\.steps\[0\]\.flags repeats FOLL_LONGTERM \(a subset of FOLL_WRITE, FOLL_LONGTERM\)$/],
    ["flags on unpin", pins, (o) => void (o.threads[0].steps[2].flags = []),
      /^bad\.json: threads\[0\]\.steps\[2\] has unknown field 'flags' \(fields of unpin: op, proc, page, buf\)$/],
    ["a pin of a page beyond the mapping", pins, (o) => void Object.assign(o.threads[0].steps[0], { buf: "m", page: 1 }),
      /^bad\.json: threads\[0\]\.steps\[0\]\.page must be an integer from 0 to 0, got 1$/],
    ["an mprotect to a protection that is not PROT_READ or PROT_READ|PROT_WRITE", pins,
      (o) => void (o.threads[0].steps[1] = { op: "mprotect", proc: "P", page: 0, prot: "PROT_WRITE" }),
      /^bad\.json: threads\[0\]\.steps\[1\]\.prot must be one of PROT_READ, PROT_READ\|PROT_WRITE, got 'PROT_WRITE'$/],
    ["an mprotect without a protection", pins, (o) => void (o.threads[0].steps[1] = { op: "mprotect", proc: "P", page: 0 }),
      /^bad\.json: threads\[0\]\.steps\[1\]\.prot is required \(one of PROT_READ, PROT_READ\|PROT_WRITE\)$/],
    ["madvise_dontfork of an unknown process", pins, (o) => void (o.threads[0].steps[1].proc = "Q"),
      /^bad\.json: threads\[0\]\.steps\[1\]\.proc must be one of P, got 'Q'$/],
    ["a pin_result that is not granted or refused", pins, (o) => void (o.outcome = { pin_result: "denied" }),
      /^bad\.json: outcome\.pin_result must be one of granted, refused, got 'denied'$/],
    ["a pin_result without a pin step", pins, (o) => void (o.threads[0].steps = [{ op: "madvise_dontfork", proc: "P", page: 0 }]),
      /^bad\.json: outcome\.pin_result needs a pin step in some thread$/],
    ["an outcome of no known kind", pins, (o) => void (o.outcome = { pin: "granted" }),
      /^bad\.json: outcome must have the field property \(one of .*no-invalidate-under-iterator\), pipe_holds \(\{"byte": N\}\) or pin_result \(granted or refused\)$/],
    ["a file system that is not one of them (ext4, tmpfs, afs...)", xarray, (o) => void (o.setup[0].fs = "nfs"),
      /^bad\.json: setup\[0\]\.fs must be one of ext4, tmpfs, afs(, [a-z0-9]+)*, got 'nfs'$/],
    ["a mapping of an afs file", pins, (o) => void (o.setup[1].fs = "afs"),
      /^bad\.json: setup\[2\]\.file must name a file that is not on afs \(an afs file is a directory, read by xarray_read_start\), got 'F'$/],
    ["a mapping longer than its file, touched", pins, (o) => void (o.setup[2].pages = 2),
      /^bad\.json: setup\[2\]\.pages must be at most 1 \(the pages of 'F'\) when touch is 'write': touching page 1 would be SIGBUS; got 2$/],
    ["an xarray read of an ext4 file", xarray, (o) => void (o.setup[0].fs = "ext4"),
      /^bad\.json: threads\[0\]\.steps\[0\]\.file must name an afs file for xarray_read_start \(the directory read into its own page cache\), got 'D'$/],
    ["an xarray read of an unknown file", xarray, (o) => void (o.threads[0].steps[0].file = "E"),
      /^bad\.json: threads\[0\]\.steps\[0\]\.file must be one of D, got 'E'$/],
    ["an xarray read that is never ended", xarray, (o) => void o.threads[0].steps.pop(),
      /^bad\.json: threads\[0\]\.steps must end the xarray read of 'D' \(xarray_read_end\)$/],
    ["an xarray read ended by another thread", xarray, (o) => void o.threads[1].steps.push(o.threads[0].steps.pop()!),
      /^bad\.json: threads\[0\]\.steps must end the xarray read of 'D' \(xarray_read_end\)$/],
    ["an xarray read ended before it started", xarray, (o) => void o.threads[0].steps.reverse(),
      /^bad\.json: threads\[0\]\.steps\[0\] ends an xarray read of 'D' that this thread did not start \(xarray_read_start first\)$/],
    ["two xarray reads of one file at once", xarray, (o) => void o.threads[0].steps.splice(1, 0, { op: "xarray_read_start", file: "D" }),
      /^bad\.json: threads\[0\]\.steps\[1\] starts a second xarray read of 'D' before xarray_read_end of the first$/],
    ["xarray reads of one directory in two threads", xarray,
      (o) => void o.threads[1].steps.push({ op: "xarray_read_start", file: "D" }, { op: "xarray_read_end", file: "D" }),
      /^bad\.json: threads\[1\]\.steps\[1\] reads 'D', which threads\[0\] reads already \(one thread per afs directory\)$/],
    ["an invalidation of a page beyond the file", xarray, (o) => void (o.threads[1].steps[0].page = 2),
      /^bad\.json: threads\[1\]\.steps\[0\]\.page must be an integer from 0 to 1, got 2$/],
    ["an invalidation without a page", xarray, (o) => void delete o.threads[1].steps[0].page,
      /^bad\.json: threads\[1\]\.steps\[0\]\.page is required \(an integer from 0 to 1\)$/],
  ];

  it.each(cases)("%s is refused in one line naming the field", (_what, base, mutate, re) => {
    const o = base();
    mutate(o);
    // One line, and through the command a UsageError (exit 2).
    expect(litmus_refusal(o, tmp)).toMatch(re);
  });

  it("an mprotect step compiles and describes itself", () => {
    const o = pins();
    o.threads[0].steps.splice(1, 0, { op: "mprotect", proc: "P", page: 0, prot: "PROT_READ" });
    const c = compile_litmus(validate_litmus(o, "t.json"));
    expect(c.scenario.threads[0].steps[1].name).toBe("P: mprotect(PROT_READ) page 0");
  });

  it("the valid files compile", () => {
    expect(() => compile_litmus(validate_litmus(pins(), "t.json"))).not.toThrow();
    expect(() => compile_litmus(validate_litmus(xarray(), "t.json"))).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------

const file = (id: string) => catalog_files().find((f) => f.endsWith(`/${id}.json`))!;
const compiled = (id: string): Compiled => compile_litmus(load_litmus(file(id), display_path(file(id))));
const rows = (id: string) =>
  litmus_verdicts(compiled(id)).map((r: VerdictResult) => [r.era, r.bug ?? null, r.verdict, r.witness, r.match]);

describe("the cow.c and gup_longterm.c scenario files", () => {
  it.each([
    // cow.c "R/O GUP pin on R/O-mapped shared page": unreliable until unsharing (6.0).
    ["ro-pin-shared-page", [["pre-pin", null, "Always", 3, true], ["5.9-5.18", null, "Always", 3, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    // cow.c "R/O GUP pin on R/O-mapped previously-shared page": broken only by refcount-based reuse without unsharing.
    ["ro-pin-previously-shared", [["pre-pin", null, "Never", null, true], ["5.9-5.18", null, "Always", 4, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    // cow.c "R/O GUP pin on R/O-mapped exclusive page" and "R/O-mapping a page registered as iouring
    // fixed buffer": before 6.0 mprotect() left the page write-protected, and refcount-based reuse
    // (5.9-5.18) copied it away from the pin at the write fault.
    ["ro-pin-ro-exclusive", [["pre-pin", null, "Never", null, true], ["5.9-5.18", null, "Always", 4, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    ["iouring-fixed-ro-mapping", [["pre-pin", null, "Never", null, true], ["5.9-5.18", null, "Always", 4, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    // R/W pin + fork: before early COW at fork, whoever writes first takes the copy.
    ["rw-pin-vs-fork", [["pre-pin", null, "Sometimes", 3, true], ["5.9-5.18", null, "Never", null, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    // MADV_DONTFORK keeps the pinned page out of the child in every era.
    ["rw-pin-dontfork", [["pre-pin", null, "Never", null, true], ["5.9-5.18", null, "Never", null, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    // cow.c "vmsplice() before fork(), unmap in parent after fork()".
    ["vmsplice-before-fork", [["pre-pin", null, "Always", 6, true], ["5.9-5.18", null, "Never", null, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    // gup_longterm.c: writable long-term pins of MAP_SHARED ext4 are refused since v6.5 (8ac268436e6d).
    ["longterm-rw-pin-ext4-shared", [["pre-pin", null, "Always", 2, true], ["5.9-5.18", null, "Always", 2, true], ["6.0-6.4", null, "Always", 2, true], ["current", null, "Never", null, true]]],
    ["longterm-rw-pin-memfd-shared", [["pre-pin", null, "Never", null, true], ["5.9-5.18", null, "Never", null, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    ["longterm-ro-pin-ext4-shared", [["pre-pin", null, "Never", null, true], ["5.9-5.18", null, "Never", null, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true]]],
    // H7.
    ["afs-dir-read-vs-invalidate", [["pre-pin", null, "Never", null, true], ["5.9-5.18", null, "Never", null, true], ["6.0-6.4", null, "Never", null, true], ["current", null, "Never", null, true], ["current", "xarray-unlocked-folios", "Sometimes", 4, true]]],
  ])("%s: the verdict per era", (id, want) => {
    expect(rows(id as string)).toEqual(want);
  });

  it("the shared-page R/O pin's witness names the pin and what each side reads", () => {
    const [pre] = litmus_verdicts(compiled("ro-pin-shared-page"), "pre-pin");
    expect(pre.witness_steps).toEqual([
      "P: P: fork() -> C",
      "P: P: pin_user_pages(FOLL_LONGTERM) page 0",
      "P: P: write 0xbb to page 0 half 0",
    ]);
    expect(pre.message).toMatch(/^P's FOLL_LONGTERM pin of P page 0: the pin holder reads 0xaa at byte 0 but the process reads 0xbb \(the process maps page \d+, the pin holds page \d+\); its page was COW-shared away from the pin$/);
  });

  it("pin_result says which pin got which answer", () => {
    const [old] = litmus_verdicts(compiled("longterm-rw-pin-ext4-shared"), "6.0-6.4");
    expect(old.message).toBe("P's FOLL_WRITE | FOLL_LONGTERM pin of m page 0 was granted");
    // The same file asking for a refusal: current refuses with -EFAULT.
    const c = compiled("longterm-rw-pin-ext4-shared");
    const refused = { ...c, lit: { ...c.lit, outcome: { pin_result: "refused" as const } } };
    let s: ScenarioState = initial_state(c.scenario, config_for()!);
    while (enabled_actions(s, c.scenario).length) s = apply_action(s, c.scenario, enabled_actions(s, c.scenario)[0]);
    expect(outcome_in(refused, s)).toBe("P's FOLL_WRITE | FOLL_LONGTERM pin of m page 0 was refused (-EFAULT)");
  });
});

describe("H7 through the scenario file", () => {
  const target = (bug?: string) => scenario_targets(config_for(bug)!).find((t) => t.id === "afs-dir-read-vs-invalidate")!;

  it("the current rules: every world property holds in every interleaving, and the read's outcome is judged", () => {
    const t = target();
    const r = explore(t.model, 64);
    expect(r.result).toBe("ok");
    expect(t.properties).toContain("no-invalidate-under-iterator");
  });

  it("xarray-unlocked-folios: the check finds the 4-step race: start, invalidate page 0, the reply, completion", () => {
    const t = target("xarray-unlocked-folios");
    const r = explore(t.model, 64);
    expect(r.violation!.property).toBe("no-invalidate-under-iterator");
    expect(r.trace!.actions.map((a) => t.describe(a))).toEqual([
      "ls: afs_read_dir(D): folios ready, ITER_XARRAY over its page cache, FetchData sent",
      "callback: invalidate_inode_pages2 D's page 0",
      "kworker: run queued work",
      "ls: afs_read_dir(D): FetchData done, release the folios",
    ]);
    expect(r.violation!.message).toBe(
      "the xarray read of D (afs_read_dir): completed, but D's page 0 is no longer in the page cache; D's page 1 holds the bytes the server sent for page 0",
    );
  });
});
