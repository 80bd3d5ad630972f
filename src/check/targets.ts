// What `pincheck check` explores: the iterator layer, and each scenario under a kernel
// configuration. A target turns a trace (initial-state name + actions) back into states, so
// traces print, serialise and replay the same way whatever produced them.
import { iter_properties, world_properties } from "../../properties/index.js";
import { first_broken, guarded_ids } from "../../properties/property.js";
import type { WorldView } from "../../properties/world_property.js";
import type { KernelConfig, World } from "../kernel/index.js";
import type { Model } from "./explore.js";
import type { IterAction } from "./iter_model.js";
import { describe_action as describe_iter, iter_model } from "./iter_model.js";
import type { IterState } from "./iter_state.js";
import type { CatalogAction, CatalogBounds, CatalogState } from "./catalog.js";
import { catalog_model, catalog_view, default_catalog_bounds, describe_catalog_action } from "./catalog.js";
import type { MachineCoverage } from "./monitor.js";
import { machine_sizes, new_coverage } from "./monitor.js";
import type { ScenarioAction, ScenarioState } from "./scenario.js";
import { describe_action as describe_scenario, scenario_model } from "./scenario.js";
import type { Compiled } from "./litmus.js";
import { catalog_entries, litmus_view } from "./litmus.js";

export interface Target {
  /** "iov_iter", "catalog" or a scenario id. */
  id: string;
  /** Unbounded state space, explored to --depth; a scenario is finite and explored completely. */
  depth_bounded: boolean;
  model: Model<unknown, unknown>;
  /** Name of each initial state (iterator layer: one per iterator type and direction). */
  initial_name(s: unknown): string;
  describe(a: unknown): string;
  world(s: unknown): World;
  /** Whether a is one of the actions enabled in s (for replaying untrusted traces). */
  enabled(s: unknown, a: unknown): boolean;
  properties: readonly string[];
  /** The ids of the properties whose guarded situation arises in s. */
  guarded(s: unknown): string[];
  /** For targets with model monitors: the machine states and edges the exploration so far reached. */
  coverage?: MachineCoverage;
  /** The same, counted against what each machine defines. */
  machine_coverage?(): { machine: string; states: number; states_defined: number; edges: number; edges_defined: number }[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Target.enabled for a model: a is one of its actions in s (compared as JSON, as a trace file holds it). */
const enabled_in = (model: Model<unknown, unknown>) => (s: unknown, a: unknown): boolean => model.actions(s).some((x) => same(x, a));

/**
 * A state's WorldView, built once for guarded(s) and model.check(s) together: a run asks both
 * of the same state one right after the other, so the view of the last state asked is kept.
 */
function last_view<S>(view: (s: S) => WorldView): (s: S) => WorldView {
  let last: S | undefined;
  let v: WorldView | undefined;
  return (s) => {
    if (s !== last) {
      v = view(s);
      last = s;
    }
    return v!;
  };
}

export function iter_target(config: KernelConfig): Target {
  const model = iter_model(config) as unknown as Model<unknown, unknown>;
  return {
    id: "iov_iter",
    depth_bounded: true,
    model,
    initial_name: (s) => (s as IterState).scenario,
    describe: (a) => describe_iter(a as IterAction),
    world: (s) => (s as IterState).w,
    enabled: enabled_in(model),
    properties: iter_properties.map((p) => p.id),
    guarded: (s) => guarded_ids(iter_properties, s as IterState),
  };
}

/** A shell-friendly fuzz id for an iterator initial state: "ITER_BVEC/ITER_DEST" -> "iov_iter:bvec-dest". */
const iter_fuzz_id = (initial: string): string =>
  `iov_iter:${initial.toLowerCase().replace(/iter_/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;

/**
 * The iterator layer as fuzz targets, one per initial state: a run starts from model.initial()[0],
 * so each target keeps only its own. The Target's id stays "iov_iter" and initial_name the state's
 * name, so traces replay against iter_target; id is what --target takes.
 */
export function iter_fuzz_targets(config: KernelConfig): { id: string; name: string; target: Target }[] {
  const t = iter_target(config);
  return t.model.initial().map((s) => {
    const name = t.initial_name(s);
    return { id: iter_fuzz_id(name), name, target: { ...t, model: { ...t.model, initial: () => [s] } } };
  });
}

/** The scenario files (scenarios/*.json), compiled once. */
let compiled: Compiled[] | undefined;
export const scenario_files = () => (compiled ??= catalog_entries().map((e) => e.c));

/** Each scenario file, with every world property checked (not only the outcome it names). */
export function scenario_targets(config: KernelConfig): Target[] {
  return scenario_files().map((c) => {
    const view = last_view((s: ScenarioState) => litmus_view(c, s));
    const model = scenario_model(c.scenario, config, (s) => first_broken(world_properties, view(s))) as unknown as Model<unknown, unknown>;
    return {
      id: c.lit.id,
      depth_bounded: false,
      model,
      initial_name: () => c.lit.id,
      describe: (a) => describe_scenario(a as ScenarioAction),
      world: (s) => (s as ScenarioState).w,
      enabled: enabled_in(model),
      properties: world_properties.map((p) => p.id),
      guarded: (s) => guarded_ids(world_properties, view(s as ScenarioState)),
    };
  });
}

export function catalog_target(config: KernelConfig, bounds: CatalogBounds = default_catalog_bounds): Target {
  const coverage = new_coverage();
  const view = last_view(catalog_view);
  const model = catalog_model(config, bounds, world_properties, coverage, view) as unknown as Model<unknown, unknown>;
  return {
    id: "catalog",
    depth_bounded: true,
    model,
    initial_name: () => "catalog",
    describe: (a) => describe_catalog_action(a as CatalogAction),
    world: (s) => (s as CatalogState).w,
    enabled: enabled_in(model),
    properties: world_properties.map((p) => p.id),
    guarded: (s) => guarded_ids(world_properties, view(s as CatalogState)),
    coverage,
    machine_coverage: () => (["page", "process"] as const).map((machine) => ({
      machine,
      states: coverage[machine].states.size, states_defined: machine_sizes[machine].states,
      edges: coverage[machine].edges.size, edges_defined: machine_sizes[machine].edges,
    })),
  };
}

/**
 * Cheapest first, so a broken rule is reported as early as possible: the scenario files (small
 * and finite), then the iterator layer, then the bounded catalog (the costliest states).
 */
export const all_targets = (config: KernelConfig, bounds?: CatalogBounds): Target[] =>
  [...scenario_targets(config), iter_target(config), catalog_target(config, bounds)];
