// Escaping for the report: every string that comes from data (state descriptions, step texts,
// file names, messages) goes through one of these before it reaches the HTML.

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value in HTML or SVG. */
export const esc = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => HTML[c]);

/**
 * JSON for a <script type="application/json"> element: "<" cannot open "</script>" or "<!--",
 * and U+2028/U+2029 stay escaped; JSON.parse gives the same value back.
 */
export const script_json = (x: unknown): string =>
  JSON.stringify(x)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
