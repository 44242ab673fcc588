// The compare panel: the current selection (the group) against a reference (rest, a highlight
// group, or a saved selection) by a method. Run posts `compare_request`; the reply
// (`showComparison`) fills the ranked table and the volcano plot. A row or a point colours the
// view by its gene; "Plot genes" asks for gene plots of the top genes.

import {
  buildCompareRequest, defaults as compareDefaults, formatFold, formatP, isCurrentReply, newRequestId,
  rankedRows, referenceChoices, volcanoPoints,
} from "../compare.js";
import { loadPlot } from "../plots.js";
import { element, option } from "./dom.js";
import { createPanel, fetchShownResult } from "./panel.js";
import { createPlotFrame } from "./plotframe.js";

export const defaults = {
  volcanoWidth: 420,
  volcanoHeight: 300,
  pickRadiusPx: 12,
  colors: { top: "#d62728", rest: "#8f959e" },
};

/** The volcano plot of `points` (from `volcanoPoints`); `onPick(gene)` on a click at or near a point. */
export function volcanoPlot(Plot, points, { width, onPick }) {
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
    x: { label: "log fold change", grid: true },
    y: { label: "−log10 adjusted p", grid: true },
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
  return svg;
}

/**
 * Build the compare panel into `el`. `env`: app, bridge, data (DataClient), onGene(name) (colour
 * the view by a gene), onPlotGenes(genes) ("Plot genes"). Returns {open(), run(), show(command),
 * sync(kind)}: `show` applies a `showComparison` command (resolves once the table and volcano are
 * drawn; rejects when the comparison cannot be fetched); `sync` takes the app's change kinds.
 */
export function createComparePanel(el, env) {
  const { app, bridge, data } = env;
  const panel = createPanel(el, { title: "Compare", testid: "cellucid-compare-panel" });
  const sent = new Set();
  let latest = null, saved = null, choices = [], topGenes = [];

  const groupLine = element("div", "muted compare-group");
  const refSelect = element("select");
  refSelect.dataset.testid = "cellucid-compare-reference";
  refSelect.title = "Compare the group with these cells";
  const setRef = element("button", "", "Selection as reference");
  setRef.type = "button";
  setRef.dataset.testid = "cellucid-compare-set-reference";
  setRef.title = "Save the current selection as the reference, then select the group";
  const method = element("select");
  method.dataset.testid = "cellucid-compare-method";
  method.append(...compareDefaults.methods.map((m) => option(m, m)));
  const runBtn = element("button", "primary", "Run");
  runBtn.type = "button";
  runBtn.dataset.testid = "cellucid-compare-run";
  const refLabel = element("label", "", "Reference ");
  refLabel.appendChild(refSelect);
  const methodLabel = element("label", "", "Method ");
  methodLabel.appendChild(method);
  const form = element("div", "panel-row");
  form.append(refLabel, setRef);
  const form2 = element("div", "panel-row");
  form2.append(methodLabel, runBtn);

  const result = element("div", "compare-result");
  result.hidden = true;
  const summary = element("div", "muted compare-summary");
  const volcano = createPlotFrame({ testid: "cellucid-volcano", title: "Volcano", filename: "cellucid-volcano.svg" });
  const tableHead = element("div", "plot-head");
  const plotGenes = element("button", "", "Plot genes");
  plotGenes.type = "button";
  plotGenes.dataset.testid = "cellucid-plot-genes";
  plotGenes.title = `Dot plot and violins of the top ${compareDefaults.plotGenes} genes`;
  tableHead.append(element("span", "plot-title", "Ranked genes"), plotGenes);
  const table = element("table", "ranked");
  table.dataset.testid = "cellucid-compare-table";
  const thead = element("thead");
  const headRow = element("tr");
  for (const [text, tip] of [["gene", ""], ["log FC", "log2 fold change, group vs reference"], ["adj. p", "adjusted p-value"], ["% group", "cells expressing, in the group"], ["% ref", "cells expressing, in the reference"]]) {
    const th = element("th", "", text);
    if (tip) th.title = tip;
    headRow.appendChild(th);
  }
  thead.appendChild(headRow);
  const tbody = element("tbody");
  table.append(thead, tbody);
  const tableWrap = element("div", "table-wrap");
  tableWrap.appendChild(table);
  result.append(summary, volcano.el, tableHead, tableWrap);
  panel.body.append(groupLine, form, form2, result);

  const fillReferences = () => {
    const before = refSelect.value;
    choices = referenceChoices([...app.highlights.values()], saved);
    refSelect.replaceChildren(...choices.map((c) => {
      const o = option(c.value, c.label);
      if (c.cells) o.title = `${c.cells.length.toLocaleString("en-US")} cells`;
      return o;
    }));
    refSelect.value = choices.some((c) => c.value === before) ? before : "rest";
  };
  const updateGroup = () => {
    const k = app.selection.length;
    groupLine.textContent = k
      ? `Group: the selection, ${k.toLocaleString("en-US")} cells`
      : "Group: select cells (lasso, click, a legend category), then Run";
  };

  const pickGene = (gene) => {
    for (const tr of tbody.children) tr.classList.toggle("active", tr.dataset.gene === gene);
    env.onGene(gene);
  };

  const run = async () => {
    panel.open();
    const choice = choices.find((c) => c.value === refSelect.value) || choices[0];
    const requestId = newRequestId("compare");
    let payload;
    try {
      payload = await buildCompareRequest({
        requestId, group: app.selection, reference: choice.cells || "rest", method: method.value,
        groupLabel: compareDefaults.groupLabel, referenceLabel: choice.label,
      }, app.n);
    } catch (err) {
      panel.status(err.message, "error");
      return;
    }
    latest = requestId;
    sent.add(requestId);
    panel.status(`Comparing ${app.selection.length.toLocaleString("en-US")} selected cells with ${choice.label} (${payload.method})…`, "busy");
    const delivered = await bridge.send("compare_request", payload);
    if (!delivered && latest === requestId) panel.status("The request did not reach Python.", "error");
  };

  const drawVolcano = async (comparison) => {
    volcano.message("Drawing…");
    let Plot;
    try {
      Plot = await loadPlot();
    } catch (err) {
      volcano.message(err.message, true);
      return;
    }
    const { points } = volcanoPoints(comparison.genes || {});
    const width = Math.max(260, Math.floor(volcano.body.clientWidth) || defaults.volcanoWidth);
    volcano.show(volcanoPlot(Plot, points, { width, onPick: pickGene }));
  };

  const render = async (comparison) => {
    const genes = comparison.genes || {};
    const rows = rankedRows(genes);
    topGenes = rows.slice(0, compareDefaults.plotGenes).map((r) => r.gene);
    tbody.replaceChildren(...rows.map((r) => {
      const tr = element("tr");
      tr.dataset.gene = r.gene;
      tr.title = `Colour the view by ${r.gene}`;
      tr.append(...r.cells.map((text) => element("td", "", text)));
      tr.addEventListener("click", () => pickGene(r.gene));
      return tr;
    }));
    const g = comparison.group || {}, ref = comparison.reference || {};
    const total = (genes.names || []).length;
    summary.textContent = `${g.label ?? "group"} (${Number(g.n_cells ?? 0).toLocaleString("en-US")} cells) vs ` +
      `${ref.label ?? "reference"} (${Number(ref.n_cells ?? 0).toLocaleString("en-US")} cells) · ${comparison.method ?? ""} · ` +
      `${total.toLocaleString("en-US")} genes${total > rows.length ? `, top ${rows.length} shown` : ""}`;
    plotGenes.disabled = topGenes.length === 0;
    result.hidden = false;
    await drawVolcano(comparison);
  };

  const show = async (c) => {
    const shown = await fetchShownResult(panel, c, {
      isCurrent: (cmd) => isCurrentReply(cmd.requestId, sent, latest),
      load: (resultId) => data.comparison(resultId), command: "showComparison", what: "comparison",
    });
    if (!shown) return;
    const { id, result: comparison } = shown;
    await render(comparison);
    panel.status("");
    document.body.dataset.cellucidComparison = String(id);
  };

  refSelect.addEventListener("change", () => panel.status(""));
  setRef.addEventListener("click", () => {
    if (!app.selection.length) { panel.status("Select the reference cells first, then press this button.", "error"); return; }
    saved = app.selection.slice();
    fillReferences();
    refSelect.value = "saved";
    panel.status(`Reference saved: ${saved.length.toLocaleString("en-US")} cells. Now select the group and Run.`);
  });
  runBtn.addEventListener("click", () => run());
  plotGenes.addEventListener("click", () => env.onPlotGenes(topGenes));
  fillReferences();
  updateGroup();

  return {
    open: () => panel.open(),
    isOpen: () => panel.isOpen(),
    run,
    show,
    sync(kind) {
      if (kind === "highlights") fillReferences();
      else if (kind === "selection") updateGroup();
    },
  };
}
