// What the compare panel shows of a comparison: a summary line, the matrix compared and the notes
// about it (negative values), the volcano plot (axes fitted to the genes it draws, and a line
// counting the genes it leaves out) and the ranked table. A row or a point picks its gene.

import { defaults as compareDefaults, formatFold, formatP, omittedNote, rankedRows, volcanoPoints } from "../compare.js";
import { element } from "./dom.js";
import { createPlotFrame, plotFor } from "./plotframe.js";

export const defaults = {
  volcanoWidth: 420,
  volcanoHeight: 300,
  pickRadiusPx: 12,
  colors: { top: "#d62728", rest: "#8f959e" },
  columns: [["gene", ""], ["log FC", "log2 fold change, group vs reference"], ["adj. p", "adjusted p-value"], ["% group", "cells expressing, in the group"], ["% ref", "cells expressing, in the reference"]],
};

/**
 * The volcano plot of `volcanoPoints`' result (`points`, and the `x`/`y` domains fitted to them);
 * `onPick(gene)` on a click at or near a point. The SVG's `data-y-max` is the top of its y axis.
 */
export function volcanoPlot(Plot, { points, x: xDomain, y: yDomain }, { width, onPick }) {
  const hits = [];
  // Plot draws one <circle> per index, in index order: tag each with its gene, keep its position.
  const tag = (data) => (index, scales, values, dimensions, context, next) => {
    const g = next(index, scales, values, dimensions, context);
    const circles = g.querySelectorAll("circle");
    index.forEach((i, k) => {
      if (circles[k]) circles[k].dataset.gene = data[i].gene;
      hits.push({ gene: data[i].gene, x: values.x[i], y: values.y[i] });
    });
    return g;
  };
  const rest = points.filter((p) => !p.top), top = points.filter((p) => p.top);
  const title = (p) => `${p.gene}\nlog fold change ${formatFold(p.x)}\nadjusted p ${formatP(p.p)}${p.clamped ? " (drawn at the smallest p)" : ""}`;
  const svg = Plot.plot({
    width,
    height: defaults.volcanoHeight,
    marginLeft: 46,
    x: { label: "log fold change", grid: true, domain: xDomain },
    y: { label: "−log10 adjusted p", grid: true, domain: yDomain },
    marks: [
      Plot.ruleX([0], { stroke: "#bbb" }),
      Plot.dot(rest, { x: "x", y: "y", r: 2.5, fill: defaults.colors.rest, fillOpacity: 0.65, title, render: tag(rest) }),
      Plot.dot(top, { x: "x", y: "y", r: 3.5, fill: defaults.colors.top, title, render: tag(top) }),
      Plot.text(top, { x: "x", y: "y", text: "gene", dy: -9, fontSize: 10, fill: "currentColor" }),
    ],
  });
  svg.addEventListener("click", (ev) => {
    const r = svg.getBoundingClientRect();
    const k = (svg.viewBox.baseVal && svg.viewBox.baseVal.width ? svg.viewBox.baseVal.width : r.width) / r.width;
    const x = (ev.clientX - r.left) * k, y = (ev.clientY - r.top) * k;
    let best = null, bestD = (defaults.pickRadiusPx * k) ** 2;
    for (const h of hits) {
      const d = (h.x - x) ** 2 + (h.y - y) ** 2;
      if (d <= bestD) { bestD = d; best = h; }
    }
    if (best) onPick(best.gene);
  });
  svg.dataset.yMax = String(yDomain[1]);
  return svg;
}

/** The line naming what was compared: `Compared: .raw · tie-corrected · log1p base 2`. */
export function matrixLine(comparison) {
  const m = comparison.matrix;
  if (!m) return "";
  return `Compared: ${m.label}` + (comparison.tie_correct ? " · tie-corrected" : "") +
    (comparison.log1p_base ? ` · log1p base ${comparison.log1p_base}` : "");
}

function summaryLine(comparison, shown) {
  const g = comparison.group || {}, ref = comparison.reference || {};
  const total = ((comparison.genes || {}).names || []).length;
  const count = (side) => Number(side.n_cells ?? 0).toLocaleString("en-US");
  return `${g.label ?? "group"} (${count(g)} cells) vs ${ref.label ?? "reference"} (${count(ref)} cells) · ` +
    `${comparison.method ?? ""} · ${total.toLocaleString("en-US")} genes${total > shown ? `, top ${shown} shown` : ""}`;
}

function rankedTable() {
  const table = element("table", "ranked");
  table.dataset.testid = "cellucid-compare-table";
  const headRow = element("tr");
  for (const [text, tip] of defaults.columns) {
    const th = element("th", "", text);
    if (tip) th.title = tip;
    headRow.appendChild(th);
  }
  const thead = element("thead"), tbody = element("tbody");
  thead.appendChild(headRow);
  table.append(thead, tbody);
  const wrap = element("div", "table-wrap");
  wrap.appendChild(table);
  return { wrap, tbody };
}

/**
 * The result view: `onPick(gene)` when a row or a point is clicked, `onPlotGenes(genes)` for
 * "Plot genes" (the top genes). Returns {el, render(comparison), mark(gene)}: `render` resolves
 * once the table and the volcano are drawn; `mark` highlights a gene's row.
 */
export function createResultView({ onPick, onPlotGenes }) {
  const el = element("div", "compare-result");
  el.hidden = true;
  const summary = element("div", "muted compare-summary");
  const used = element("div", "compare-matrix");
  used.dataset.testid = "cellucid-compare-matrix-used";
  const notes = element("div", "compare-notes");
  notes.dataset.testid = "cellucid-compare-notes";
  notes.setAttribute("role", "note");
  const volcano = createPlotFrame({ testid: "cellucid-volcano", title: "Volcano", filename: "cellucid-volcano.svg" });
  const omitted = element("div", "muted volcano-omitted");
  omitted.dataset.testid = "cellucid-volcano-omitted";
  const tableHead = element("div", "plot-head");
  const plotGenes = element("button", "", "Plot genes");
  plotGenes.type = "button";
  plotGenes.dataset.testid = "cellucid-plot-genes";
  plotGenes.title = `Dot plot and violins of the top ${compareDefaults.plotGenes} genes`;
  tableHead.append(element("span", "plot-title", "Ranked genes"), plotGenes);
  const { wrap, tbody } = rankedTable();
  el.append(summary, used, notes, volcano.el, omitted, tableHead, wrap);
  let topGenes = [];
  plotGenes.addEventListener("click", () => onPlotGenes(topGenes));

  const drawVolcano = async (comparison) => {
    const Plot = await plotFor([volcano]);
    if (!Plot) return;
    const drawn = volcanoPoints(comparison.genes || {});
    omitted.textContent = omittedNote(drawn.omitted);
    omitted.hidden = !drawn.omitted;
    if (!drawn.points.length) {
      volcano.message("No gene has a finite log fold change: nothing to draw.", true);
      return;
    }
    const width = Math.max(260, Math.floor(volcano.body.clientWidth) || defaults.volcanoWidth);
    volcano.show(volcanoPlot(Plot, drawn, { width, onPick }));
  };

  const render = async (comparison) => {
    const rows = rankedRows(comparison.genes || {});
    topGenes = rows.slice(0, compareDefaults.plotGenes).map((r) => r.gene);
    tbody.replaceChildren(...rows.map((r) => {
      const tr = element("tr");
      tr.dataset.gene = r.gene;
      tr.title = `Colour the view by ${r.gene}`;
      tr.append(...r.cells.map((text) => element("td", "", text)));
      tr.addEventListener("click", () => onPick(r.gene));
      return tr;
    }));
    summary.textContent = summaryLine(comparison, rows.length);
    plotGenes.disabled = topGenes.length === 0;
    used.textContent = matrixLine(comparison);
    used.dataset.key = comparison.matrix ? comparison.matrix.key : "";
    const noteList = comparison.notes || [];
    notes.replaceChildren(...noteList.map((text) => element("div", "", text)));
    notes.hidden = noteList.length === 0;
    el.hidden = false;
    await drawVolcano(comparison);
  };

  const mark = (gene) => {
    for (const tr of tbody.children) tr.classList.toggle("active", tr.dataset.gene === gene);
  };
  return { el, render, mark };
}
