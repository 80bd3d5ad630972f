// Wall-clock timing for the benchmark (the engine itself reads no clock). The machines are
// shared, so every comparison the benchmark reports is a ratio of times taken in the same run,
// each the best of a few repetitions.
export interface Timed<T> {
  seconds: number;
  result: T;
}

/** Run f `runs` times (after `warmup` untimed runs); the fastest time and the last result. */
export function best_of<T>(runs: number, f: () => T, warmup = 0): Timed<T> {
  for (let k = 0; k < warmup; k++) f();
  let best = Infinity;
  let result: T | undefined;
  for (let k = 0; k < Math.max(1, runs); k++) {
    const t0 = performance.now();
    result = f();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { seconds: best, result: result as T };
}

export const once = <T>(f: () => T): Timed<T> => best_of(1, f);
