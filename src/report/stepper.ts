// The trace stepper's inline script. It reads the report's embedded JSON and writes only through
// textContent and dataset, so no string from the data is ever parsed as HTML. #stepper's
// data-trace and data-step attributes say what is shown (the end-to-end test waits on them).
export const STEPPER_JS = String.raw`
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const traces = data.traces;
  const $ = (id) => document.getElementById(id);
  const root = $("stepper"), select = $("trace-select"), prev = $("prev"), next = $("next");
  const FIELDS = ["refcount", "pincount", "mapcount", "flags"];
  let t = 0, k = 0;

  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const shown = (view, f) => (view ? String(view[f]) : f === "flags" ? "free" : "-");
  const steps = () => (traces[t].story ? traces[t].story.steps.length : 0);

  traces.forEach((tr, i) => {
    const o = el("option", tr.label);
    o.value = String(i);
    select.appendChild(o);
  });

  function render() {
    const tr = traces[t], st = tr.story, n = steps();
    root.dataset.trace = tr.id;
    root.dataset.step = String(k);
    select.value = String(t);
    prev.disabled = k <= 0;
    next.disabled = k >= n;
    $("step-counter").textContent = st ? "step " + k + " of " + n : "no counterexample";
    $("trace-meta").textContent = [
      tr.source === "check" ? "found by pincheck check --bug " + tr.bug + " --era " + tr.era : "from trace file " + tr.label,
      st ? "target " + st.target + (st.initial !== st.target ? " / " + st.initial : "") : null,
      tr.expected ? "documented to break " + tr.expected : null,
      tr.states !== null ? tr.states + " states explored" : null,
    ].filter((x) => x).join("; ");
    $("no-violation").hidden = !!(st && st.violation);
    $("no-violation").textContent = st ? "This trace breaks no property." : "The exhaustive check found no violation within its bounds.";

    $("step-text").textContent = !st ? "" : k === 0 ? "initial state" : k + ". " + st.steps[k - 1].text;
    const events = $("step-events");
    events.replaceChildren(...(st && k > 0 ? st.steps[k - 1].events : []).map((e) => el("li", e)));

    const body = $("pages").tBodies[0];
    body.replaceChildren(...tr.pages.map((p) => {
      const row = el("tr");
      row.dataset.pfn = String(p.pfn);
      row.appendChild(el("th", "page " + p.pfn));
      const now = p.states[k], before = k > 0 ? p.states[k - 1] : now;
      for (const f of FIELDS) {
        const td = el("td", shown(now, f), "mono");
        td.dataset.field = f;
        if (!now) td.classList.add("freed");
        if (shown(before, f) !== shown(now, f)) {
          td.classList.add("changed");
          td.title = "was " + shown(before, f);
        }
        row.appendChild(td);
      }
      return row;
    }));

    const v = st && st.violation && st.violation.step === k ? st.violation : null;
    const box = $("violation");
    box.hidden = !v;
    box.replaceChildren();
    if (v) {
      const head = el("strong", "\u2717 " + v.property);
      head.dataset.property = v.property;
      box.append(head, el("span", " after step " + v.step + ": "), el("span", v.message, "message"));
    }

    const list = $("step-list");
    list.replaceChildren(...(st ? [{ text: "initial state" }, ...st.steps] : []).map((s, i) => {
      const li = el("li", s.text, i === k ? "current" : i > k ? "future" : "");
      li.dataset.step = String(i);
      li.addEventListener("click", () => { k = i; render(); });
      return li;
    }));
  }

  prev.addEventListener("click", () => { if (k > 0) { k--; render(); } });
  next.addEventListener("click", () => { if (k < steps()) { k++; render(); } });
  select.addEventListener("change", () => { t = Number(select.value); k = 0; render(); });
  document.addEventListener("keydown", (e) => {
    if (e.target === select) return;
    if (e.key === "ArrowLeft") prev.click();
    if (e.key === "ArrowRight") next.click();
  });
  for (const b of document.querySelectorAll("button[data-show-trace]"))
    b.addEventListener("click", () => {
      const i = traces.findIndex((x) => x.id === b.dataset.showTrace);
      if (i >= 0) { t = i; k = 0; render(); root.scrollIntoView(); }
    });
  if (traces.length) render();
})();
`;
