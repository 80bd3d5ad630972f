// End to end: `pincheck report` writes the HTML file, headless Chromium (Debian's, driven by
// playwright-core) opens it from a file:// URL with no network, the diagrams and the verdict
// table render, and Next steps each counterexample to its end: the page table shows, after each
// step, the counts and flags the embedded story gives for that step, and the violation appears
// at the last step; Prev walks back to the initial state.
// The report is built for two bug switches (--bug twice) rather than all of them, two
// counterexamples of different properties (test/report.test.ts covers the full build). CI installs /usr/bin/chromium (.ci/run); without
// it this file fails under CI and is skipped elsewhere.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PageView, Story } from "../src/check/trace.js";
import type { ReportData } from "../src/report/data.js";

const CHROMIUM = "/usr/bin/chromium";
const have_chromium = existsSync(CHROMIUM);
const BUG_SWITCHES = ["dio-read-vs-fork", "dma-no-redirty"];
const FIELDS = ["refcount", "pincount", "mapcount", "flags"] as const;

/** What the stepper shows for a page: its counts and flags, or "-"s and "free" while it is free. */
const shown = (v: PageView | null): string[] => FIELDS.map((f) => (v ? String(v[f]) : f === "flags" ? "free" : "-"));

describe("report in a browser: CI provides Chromium", () => {
  it.runIf(process.env.CI)(`${CHROMIUM} is installed (.ci/run installs it)`, () => {
    expect(have_chromium).toBe(true);
  });
});

describe.skipIf(!have_chromium)("pincheck report in headless Chromium", () => {
  const tmp = mkdtempSync(join(tmpdir(), "pincheck-report-e2e-"));
  const file = join(tmp, "out", "report.html");
  let context: BrowserContext;
  let page: Page;
  let data: ReportData;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const args = ["tsx", "src/cli/main.ts", "report", "--out", file, "--json", ...BUG_SWITCHES.flatMap((b) => ["--bug", b])];
    const { stdout } = await promisify(execFile)("npx", args, { env: { ...process.env, CI: "true" }, maxBuffer: 1 << 24 });
    expect(JSON.parse(stdout).file).toBe(file);
    context = await chromium.launchPersistentContext(join(tmp, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(pathToFileURL(file).href);
    // The data the page embeds, as the browser parses it (and as the file holds it).
    data = await page.evaluate(() => JSON.parse(document.getElementById("report-data")!.textContent!));
    const raw = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(readFileSync(file, "utf8"))![1];
    expect(data).toEqual(JSON.parse(raw));
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("renders every machine diagram with a node per state, coloured by coverage, and the legend", async () => {
    expect(data.machines.length).toBe(4);
    for (const m of data.machines) {
      const svg = page.locator(`svg.machine[data-machine="${m.machine}"]`);
      expect(await svg.isVisible()).toBe(true);
      const box = (await svg.boundingBox())!;
      expect(box.width).toBeGreaterThan(200);
      expect(box.height).toBeGreaterThan(40);
      expect(await svg.locator("g.state").count()).toBe(m.states.length);
      for (const s of m.states) {
        const g = svg.locator(`g.state[data-state="${s.path}"]`);
        expect(await g.getAttribute("data-coverage")).toBe(s.coverage);
        // Observed and unobserved states are drawn in different colours.
        const stroke = await g.locator("rect").first().evaluate((r) => getComputedStyle(r).stroke);
        expect(stroke, s.path).toBe(s.coverage === "observed" ? "rgb(30, 126, 52)" : "rgb(198, 40, 40)");
      }
    }
    expect(await page.locator("#coverage-legend").isVisible()).toBe(true);
    expect(await page.locator("#coverage-legend").textContent()).toContain("declared, not observed");
  });

  it("renders the verdict table: a row per scenario and bug row, a coloured cell per era", async () => {
    const rows = page.locator("#verdict-table tbody tr");
    expect(data.verdicts.length).toBeGreaterThan(0);
    expect(await rows.count()).toBe(data.verdicts.length);
    for (const [k, r] of data.verdicts.entries()) {
      for (const e of data.eras) {
        const cell = rows.nth(k).locator(`td[data-era="${e.id}"]`);
        const v = r.cells[e.id];
        const text = (await cell.textContent())!;
        if (!v) expect(text).toBe("—");
        else {
          expect(text.startsWith(v.verdict)).toBe(true);
          expect(await cell.getAttribute("class")).toContain(`v-${v.verdict.toLowerCase()}`);
        }
      }
    }
    const never = page.locator("#verdict-table td.v-never").first();
    expect(await never.evaluate((td) => getComputedStyle(td).backgroundColor)).toBe("rgb(227, 244, 230)");
  });

  /** The stepper's page table as pfn -> the four cells' text, and the cells marked changed. */
  async function table(): Promise<{ cells: Map<number, string[]>; changed: Map<number, boolean[]> }> {
    const rows = await page.locator("#pages tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({
        pfn: Number((tr as HTMLElement).dataset.pfn),
        cells: [...tr.querySelectorAll("td")].map((td) => [td.dataset.field!, td.textContent!, td.classList.contains("changed")] as const),
      })));
    const cells = new Map<number, string[]>();
    const changed = new Map<number, boolean[]>();
    for (const r of rows) {
      expect(r.cells.map((c) => c[0])).toEqual([...FIELDS]);
      cells.set(r.pfn, r.cells.map((c) => c[1]));
      changed.set(r.pfn, r.cells.map((c) => c[2]));
    }
    return { cells, changed };
  }

  const at = (id: string, step: number) => page.waitForSelector(`#stepper[data-trace="${id}"][data-step="${step}"]`, { state: "attached" });

  it("steps each counterexample with Next to its violation, the page counts following the story, and Prev back", async () => {
    const traces = data.traces.filter((t) => t.story);
    expect(traces.map((t) => t.bug)).toEqual(BUG_SWITCHES);
    const options = await page.locator("#trace-select option").allTextContents();
    expect(options).toEqual(data.traces.map((t) => t.label));
    for (const t of traces) {
      const story = t.story as Story;
      const n = story.steps.length;
      expect(n).toBeGreaterThan(1);
      await page.selectOption("#trace-select", String(data.traces.indexOf(t)));
      await at(t.id, 0);
      expect(await page.isDisabled("#prev")).toBe(true);
      expect(await page.isHidden("#violation")).toBe(true);

      // Each touched page starts as the "before" of its first change.
      const expected = new Map<number, string[]>();
      for (const s of story.steps)
        for (const [pfn, [before]] of Object.entries(s.pages))
          if (!expected.has(Number(pfn))) expected.set(Number(pfn), shown(before));
      const initial = new Map(expected);
      expect((await table()).cells).toEqual(expected);

      let changes = 0;
      for (let k = 1; k <= n; k++) {
        await page.click("#next");
        await at(t.id, k);
        const step = story.steps[k - 1];
        expect(await page.textContent("#step-text")).toBe(`${k}. ${step.text}`);
        expect(await page.textContent("#step-counter")).toBe(`step ${k} of ${n}`);
        const before = new Map(expected);
        for (const [pfn, [, after]] of Object.entries(step.pages)) expected.set(Number(pfn), shown(after));
        const shown_now = await table();
        expect(shown_now.cells, `after step ${k}`).toEqual(expected);
        // Exactly the fields this step changed are highlighted.
        for (const [pfn, now] of expected) {
          const was = before.get(pfn)!;
          expect(shown_now.changed.get(pfn), `page ${pfn} at step ${k}`).toEqual(now.map((x, i) => x !== was[i]));
          changes += now.filter((x, i) => x !== was[i]).length;
        }
        const last = k === n;
        expect(await page.isVisible("#violation"), `violation shown at step ${k}`).toBe(last);
        expect(await page.isDisabled("#next")).toBe(last);
      }
      expect(changes, "the counts shown change along the trace").toBeGreaterThan(0);
      const v = story.violation!;
      expect(v.step).toBe(n);
      expect(await page.getAttribute("#violation strong", "data-property")).toBe(v.property);
      expect(await page.textContent("#violation")).toBe(`✗ ${v.property} after step ${n}: ${v.message}`);
      expect(v.property).toBe(t.expected);

      for (let k = n - 1; k >= 0; k--) {
        await page.click("#prev");
        await at(t.id, k);
        expect(await page.isHidden("#violation")).toBe(true);
      }
      expect((await table()).cells).toEqual(initial);
      expect(await page.textContent("#step-text")).toBe("initial state");
      expect(await page.isDisabled("#prev")).toBe(true);
    }
  });

  it("loaded nothing but the file itself, without a script error", () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:"))).toEqual([]);
    expect(errors).toEqual([]);
  });
});
