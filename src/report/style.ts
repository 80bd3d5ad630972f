// The report's stylesheet, inlined into its <style> element.
export const REPORT_CSS = `
:root { --obs: #1e7e34; --obs-bg: #e3f4e6; --unobs: #c62828; --unobs-bg: #fdecea; --na: #8a8a8a; --na-bg: #f2f2f2; --changed: #fff3b0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 20px 40px; color: #1d1d1f; }
h1 { font-size: 22px; margin: 18px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
nav a { margin-right: 14px; }
p.note { color: #555; margin: 4px 0 10px; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; margin: 6px 0 12px; align-items: center; }
.legend span.swatch { display: inline-block; width: 16px; height: 12px; border: 2px solid; border-radius: 3px; vertical-align: -2px; margin-right: 5px; }
.swatch.cov-observed { background: var(--obs-bg); border-color: var(--obs); }
.swatch.cov-unobserved { background: var(--unobs-bg); border-color: var(--unobs); border-style: dashed; }
.swatch.cov-na { background: var(--na-bg); border-color: var(--na); border-style: dotted; }
figure.machine { margin: 12px 0 22px; overflow-x: auto; }
figure.machine figcaption { margin-bottom: 6px; }
svg.machine { max-width: 100%; height: auto; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
svg .state rect { stroke-width: 1.6; }
svg .state.cov-observed > rect { fill: var(--obs-bg); stroke: var(--obs); }
svg .state.cov-unobserved > rect { fill: var(--unobs-bg); stroke: var(--unobs); stroke-dasharray: 5 3; }
svg .state.container > rect { fill-opacity: 0.35; }
svg .state.final > rect.inner { fill: none; }
svg .state .name { font-size: 12px; font-weight: 600; fill: #1d1d1f; }
svg .self, svg .label { font-size: 10px; }
svg .label { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg text.cov-observed, svg tspan.cov-observed { fill: var(--obs); }
svg text.cov-unobserved, svg tspan.cov-unobserved { fill: var(--unobs); font-style: italic; }
svg text.cov-na, svg tspan.cov-na { fill: var(--na); }
svg path.edge { fill: none; stroke-width: 1.4; }
svg path.edge.cov-observed { stroke: var(--obs); }
svg path.edge.cov-unobserved { stroke: var(--unobs); stroke-dasharray: 5 3; }
svg path.edge.cov-na { stroke: var(--na); stroke-dasharray: 2 3; }
svg path.edge.initial { stroke: #333; }
svg circle.initial { fill: #333; }
svg marker.cov-observed path { fill: var(--obs); }
svg marker.cov-unobserved path { fill: var(--unobs); }
svg marker.cov-na path { fill: var(--na); }
svg marker.cov-initial path { fill: #333; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid #d5d5d5; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f7; }
td.cov-observed { color: var(--obs); }
td.cov-unobserved { color: var(--unobs); }
td.cov-na { color: var(--na); }
td.verdict { font-weight: 600; text-align: center; white-space: nowrap; }
td.v-never { background: #e3f4e6; color: #145a24; }
td.v-sometimes { background: #fff1cc; color: #7a5200; }
td.v-always { background: #fbdada; color: #8e1b1b; }
td.v-stuck { background: #e6e6e6; color: #444; }
td.v-none { color: #999; font-weight: normal; }
td.mismatch { outline: 3px solid #c62828; outline-offset: -3px; }
details summary { cursor: pointer; color: #333; }
#stepper { border: 1px solid #ccc; border-radius: 8px; padding: 12px 16px; background: #fcfcfd; }
#stepper .controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
#stepper button { font: inherit; padding: 4px 14px; border-radius: 6px; border: 1px solid #999; background: #fff; cursor: pointer; }
#stepper button:disabled { opacity: 0.4; cursor: default; }
#step-counter { font-weight: 600; min-width: 8em; }
#step-text { font-size: 15px; margin: 10px 0 4px; font-weight: 600; }
#step-events { margin: 2px 0 8px; color: #8e1b1b; }
#pages td.changed { background: var(--changed); font-weight: 700; }
#pages td.freed { color: #999; }
#violation { margin: 10px 0; padding: 8px 12px; border-left: 5px solid #c62828; background: #fdecea; color: #8e1b1b; }
#violation[hidden] { display: none; }
#no-violation { margin: 10px 0; color: #555; }
#step-list li { cursor: pointer; }
#step-list li.current { font-weight: 700; background: #eef3ff; }
#step-list li.future { color: #999; }
`;
