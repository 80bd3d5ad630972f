// A worker's side of explore_parallel(): its part of the frontier of the target being
// explored, and the answers to the engine's requests. check_worker.ts runs one in a thread;
// tests run several in one thread.
import type { Model, Violation } from "./explore.js";
import { replay_path, state_words } from "./explore.js";
import type { Candidates, Ended, ExpandNote, Kept, Request } from "./explore_parallel.js";
import { guard_counting_model } from "./exhaustive.js";
import { fingerprint, fp_hi, fp_lo } from "./fingerprint.js";
import { FingerprintTable } from "./state_table.js";
import type { Target } from "./targets.js";
import { Words } from "./words.js";

/** How often an expand says how far it got, in parents expanded. */
const NOTE_EVERY = 500;

/** Successors (or initial states) fingerprinted for sending; a state is kept only while it may be new. */
class Batch {
  parent: number[] = [];
  action: number[] = [];
  lo: number[] = [];
  hi: number[] = [];
  step_violations: [number, Violation][] = [];
  states: unknown[] = [];

  constructor(private readonly part: FrontierPart) {}

  add(parent: number, k: number, s: unknown, vs: Violation | null): void {
    const { model, out, seen } = this.part;
    state_words(model, s, out);
    fingerprint(out.buf, out.len);
    const e = this.parent.length;
    this.parent.push(parent);
    this.action.push(k);
    this.lo.push(fp_lo);
    this.hi.push(fp_hi);
    if (vs) this.step_violations.push([e, vs]);
    // A fingerprint this part sent before was numbered then: keep never asks for this one.
    this.states.push(seen.insert(fp_lo, fp_hi) || vs ? s : undefined);
  }

  send(): Candidates {
    this.part.pending = this.states;
    return {
      parent: Int32Array.from(this.parent), action: Int32Array.from(this.action),
      lo: Uint32Array.from(this.lo), hi: Uint32Array.from(this.hi), step_violations: this.step_violations,
    };
  }
}

export class FrontierPart {
  target = 0;
  guarded = new Map<string, number>();
  model: Model<unknown, unknown>;
  readonly out = new Words();
  private initial: unknown[] = [];
  /** The states this part holds, ascending by number. */
  private frontier: { id: number; s: unknown }[] = [];
  /** The candidates of the last begin or expand, until keep says which are new. */
  pending: unknown[] = [];
  /** Fingerprints this part has sent for the target. */
  seen = new FingerprintTable();

  constructor(private readonly targets: readonly Target[]) {
    this.model = guard_counting_model(targets[0], this.guarded);
  }

  /** The answer to req; `note` hears how an expand is going (NOTE_EVERY parents at a time). */
  answer(req: Request, note?: (n: ExpandNote) => void): Candidates | Kept | Ended | null {
    switch (req.op) {
      case "begin": return this.begin(req.target);
      case "expand": return this.expand(note);
      case "keep": return this.keep(req.entries, req.ids, req.hold);
      case "move": return this.move(req.drop, req.adopt, req.paths);
      case "end": return this.end();
    }
  }

  private begin(target: number): Candidates {
    this.target = target;
    this.guarded = new Map();
    this.model = guard_counting_model(this.targets[target], this.guarded);
    this.initial = this.model.initial();
    this.frontier = [];
    this.seen = new FingerprintTable();
    const batch = new Batch(this);
    this.initial.forEach((s, k) => batch.add(-1, k, s, null));
    return batch.send();
  }

  private expand(note?: (n: ExpandNote) => void): Candidates {
    const { model } = this;
    const batch = new Batch(this);
    for (let i = 0; i < this.frontier.length; i++) {
      if (note && i && i % NOTE_EVERY === 0) note({ parents: i, successors: batch.parent.length });
      const { id, s } = this.frontier[i];
      const actions = model.actions(s);
      for (let k = 0; k < actions.length; k++) {
        const t = model.step(s, actions[k]);
        batch.add(id, k, t, model.check_step ? model.check_step(s, actions[k], t) : null);
      }
    }
    this.frontier = [];
    return batch.send();
  }

  /** Check the candidates the engine numbered, in order until one is broken; `hold` them as the next frontier. */
  private keep(entries: Int32Array, ids: Int32Array, hold: boolean): Kept {
    const kept: { id: number; s: unknown }[] = [];
    for (let i = 0; i < entries.length; i++) {
      const s = this.pending[entries[i]];
      if (s === undefined) throw new Error(`internal: asked to keep candidate ${entries[i]}, whose fingerprint this part sent before`);
      const v = this.model.check(s);
      if (v) return { violation: [i, v] };
      if (!hold) continue;
      this.model.retain?.(s);
      kept.push({ id: ids[i], s });
    }
    this.pending = [];
    this.frontier = kept;
    return { violation: null };
  }

  /** Give up the states numbered `drop`; take on those numbered `adopt`, replayed from their paths. */
  private move(drop: Int32Array, adopt: Int32Array, paths: number[][]): null {
    const { model } = this;
    const gone = new Set(drop);
    const theirs = paths.map((p, i) => {
      const s = replay_path(model, this.initial, p).state;
      model.retain?.(s); // it joins this part's frontier, as a state kept here does
      return { id: adopt[i], s };
    });
    this.frontier = [...this.frontier.filter((x) => !gone.has(x.id)), ...theirs].sort((a, b) => a.id - b.id);
    return null;
  }

  private end(): Ended {
    const cov = this.targets[this.target].coverage;
    return {
      guarded: [...this.guarded],
      coverage: cov ? Object.fromEntries(Object.entries(cov).map(([m, c]) => [m, { states: [...c.states], edges: [...c.edges] }])) : null,
    };
  }
}
