// The specification: one lifecycle machine per file, each with its world abstraction.
export * from "./page.js";
export * from "./iterator.js";
export * from "./completion.js";
export * from "./process.js";
