// A plain-text table: columns padded to their widest cell, numbers right-aligned.
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === "number" ? c.toLocaleString("en-US") : c)))];
  const width = head.map((_, k) => Math.max(...cells.map((r) => String(r[k]).length)));
  const line = (r: string[], numeric: boolean[]) => r.map((c, k) => (numeric[k] ? c.padStart(width[k]) : c.padEnd(width[k]))).join("  ").trimEnd();
  const numeric = head.map((_, k) => rows.length > 0 && rows.every((r) => typeof r[k] === "number" || /^[\d.,]+( ?(ms|s|x))?$/.test(String(r[k]))));
  return [line(head, numeric.map(() => false)), line(width.map((w) => "-".repeat(w)), numeric), ...cells.slice(1).map((r) => line(r as string[], numeric))].join("\n");
}

/** A ratio as the tables show it: "312x", "2.41x". */
export const times = (r: number): string => `${r >= 100 ? r.toFixed(0) : r.toFixed(2)}x`;
