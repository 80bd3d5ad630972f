// The page micro-model (bench/micro_page.ts) with a violation, for the engine tests.
import { micro_model } from "../../bench/micro_page.js";
import type { Model } from "../../src/check/explore.js";

/** The micro-model with a violation: page 0 fully referenced and pinned (3 gets and 2 pins, at least). */
export const micro_with_bug = (pages: number): Model<number, number> => {
  const m = micro_model(pages);
  return { ...m, check: (s) => ((s & 0xf) === 0b1011 ? { property: "full", message: "page 0 full" } : null) };
};
