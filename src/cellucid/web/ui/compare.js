// The compare panel: the current selection (the group) against a reference (rest, a highlight
// group, or a saved selection) in a matrix (scanpy's default: `.raw` when the data has one) by a
// method. Run posts `compare_request`; the reply (`showComparison`) fills the ranked table and
// the volcano plot, and says which matrix was compared and what to know about it (negative
// values). A row or a point colours the view by its gene; "Plot genes" asks for gene plots of
// the top genes, in the same matrix.

import {
  buildCompareRequest, choiceOfKey, defaults as compareDefaults, formatFold, formatP, isCurrentReply,
  matrixChoices, newRequestId, omittedNote, rankedRows, referenceChoices, volcanoPoints,
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

/**
 * The volcano plot of `volcanoPoints`' result (`points`, and the `x`/`y` domains fitted to them);
 * `onPick(gene)` on a click at or near a point.
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

/**
 * Build the compare panel into `el`. `env`: app, bridge, data (DataClient), onGene(name, key)
 * (colour the view by a gene of the compared matrix, `key` as a result's `matrix.key`),
 * onPlotGenes(genes, matrix) ("Plot genes", a `matrixChoices` choice). Returns {open(), run(),
 * show(command), sync(kind)}: `show` applies a `showComparison` command (resolves once the table
 * and volcano are drawn; rejects when the comparison cannot be fetched); `sync` takes the app's
 * change kinds.
 */
export function createComparePanel(el, env) {
  const { app, bridge, data } = env;
  const panel = createPanel(el, { title: "Compare", testid: "cellucid-compare-panel" });
  const sent = new Set();
  let latest = null, saved = null, choices = [], topGenes = [], shownMatrix = null;
  const matrices = matrixChoices(app.manifest);

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
  const matrix = element("select");
  matrix.dataset.testid = "cellucid-compare-matrix";
  matrix.title = "The expression matrix compared: .raw (scanpy's default when the data has one), X or a layer";
  matrix.append(...matrices.map((c) => option(c.value, c.label)));
  const matrixLabel = element("label", "", "Matrix ");
  matrixLabel.appendChild(matrix);
  const ties = element("input");
  ties.type = "checkbox";
  ties.dataset.testid = "cellucid-compare-tie-correct";
  const tiesLabel = element("label", "", " tie correction");
  tiesLabel.prepend(ties);
  tiesLabel.title = "Correct the Wilcoxon test for tied values (scanpy's tie_correct)";
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
  form2.append(matrixLabel, methodLabel, tiesLabel, runBtn);

  const result = element("div", "compare-result");
  result.hidden = true;
  const summary = element("div", "muted compare-summary");
  const matrixLine = element("div", "compare-matrix");
  matrixLine.dataset.testid = "cellucid-compare-matrix-used";
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
  result.append(summary, matrixLine, notes, volcano.el, omitted, tableHead, tableWrap);
  panel.body.append(groupLine, form, form2, result);
  const syncTies = () => { ties.disabled = method.value !== "wilcoxon"; };

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
    env.onGene(gene, shownMatrix && shownMatrix.key);
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
        matrix: matrices.find((c) => c.value === matrix.value), tieCorrect: !ties.disabled && ties.checked,
      }, app.n);
    } catch (err) {
      panel.status(err.message, "error");
      return;
    }
    latest = requestId;
    sent.add(requestId);
    const what = matrix.selectedOptions.length ? ` in ${matrix.selectedOptions[0].textContent}` : "";
    panel.status(`Comparing ${app.selection.length.toLocaleString("en-US")} selected cells with ${choice.label}${what} (${payload.method})…`, "busy");
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
    const drawn = volcanoPoints(comparison.genes || {});
    omitted.textContent = omittedNote(drawn.omitted);
    omitted.hidden = !drawn.omitted;
    if (!drawn.points.length) {
      volcano.message("No gene has a finite log fold change: nothing to draw.", true);
      return;
    }
    const width = Math.max(260, Math.floor(volcano.body.clientWidth) || defaults.volcanoWidth);
    volcano.show(volcanoPlot(Plot, drawn, { width, onPick: pickGene }));
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
    shownMatrix = comparison.matrix || null;
    // The form shows what was compared, so Run compares the same way again.
    const choice = shownMatrix && choiceOfKey(matrices, shownMatrix.key);
    if (choice) matrix.value = choice.value;
    if (compareDefaults.methods.includes(comparison.method)) method.value = comparison.method;
    ties.checked = Boolean(comparison.tie_correct);
    syncTies();
    matrixLine.textContent = shownMatrix ? `Compared: ${shownMatrix.label}` +
      (comparison.tie_correct ? " · tie-corrected" : "") +
      (comparison.log1p_base ? ` · log1p base ${comparison.log1p_base}` : "") : "";
    matrixLine.dataset.key = shownMatrix ? shownMatrix.key : "";
    const noteList = comparison.notes || [];
    notes.replaceChildren(...noteList.map((text) => element("div", "", text)));
    notes.hidden = noteList.length === 0;
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
  method.addEventListener("change", syncTies);
  setRef.addEventListener("click", () => {
    if (!app.selection.length) { panel.status("Select the reference cells first, then press this button.", "error"); return; }
    saved = app.selection.slice();
    fillReferences();
    refSelect.value = "saved";
    panel.status(`Reference saved: ${saved.length.toLocaleString("en-US")} cells. Now select the group and Run.`);
  });
  runBtn.addEventListener("click", () => run());
  plotGenes.addEventListener("click", () => env.onPlotGenes(topGenes, shownMatrix && choiceOfKey(matrices, shownMatrix.key)));
  fillReferences();
  updateGroup();
  syncTies();

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
