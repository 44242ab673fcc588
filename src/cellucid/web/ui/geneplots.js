// The gene plots panel: posts `plot_genes_request` (genes, the field to group by) and draws the
// reply (`showGenePlot`): a dot plot (dot area = fraction of cells expressing, colour = mean
// expression) and violins (the shape is a kernel density of each group's sample). Up to 30
// genes stay readable: the plots grow a fixed size per gene and group and the panel scrolls.

import { categoryColors } from "../colors.js";
import { buildGenePlotRequest, groupbyFor, isCurrentReply, newRequestId } from "../compare.js";
import { violinShape } from "../kde.js";
import { createPanel, fetchShownResult } from "./panel.js";
import { createPlotFrame, plotFor } from "./plotframe.js";

export const defaults = {
  dotCellPx: 24,
  dotRowPx: 20,
  violinColumnPx: 34,
  violinRowPx: 64,
  // Plot's axis labels: 10px sans-serif; an estimate where no canvas can measure them.
  font: "10px system-ui, sans-serif",
  charPx: 6.5,
  maxLabelChars: 30,
  missingColor: "#9aa0a6",
};

let measureCtx = null;

/** Width in px of `text` in Plot's axis font (measured on a canvas, else estimated). */
export function textWidth(text) {
  if (measureCtx === null && typeof document !== "undefined") {
    measureCtx = document.createElement("canvas").getContext("2d") || undefined;
    if (measureCtx) measureCtx.font = defaults.font;
  }
  return measureCtx ? measureCtx.measureText(text).width : String(text).length * defaults.charPx;
}

/** An axis label: `label` cut to `maxLabelChars` with an ellipsis. */
export function shortLabel(label) {
  const s = String(label);
  return s.length > defaults.maxLabelChars ? `${s.slice(0, defaults.maxLabelChars - 1)}…` : s;
}

/** Room in px for the longest of `labels` as axis ticks (rotated 45° when `rotated`). */
export function labelRoom(labels, rotated = false, measure = textWidth) {
  let longest = 0;
  for (const l of labels) longest = Math.max(longest, measure(shortLabel(l)));
  const px = longest + 12;
  return Math.ceil(rotated ? px * Math.SQRT1_2 + 12 : px);
}

/** The rows the violins are drawn from: each violin's outline `{gene, group, value, width}`. */
export function violinRows(violins) {
  const rows = [];
  for (const v of violins || []) {
    for (const p of violinShape(v)) rows.push({ gene: v.gene, group: String(v.group), value: p.value, width: p.width });
  }
  return rows;
}

/** A colour per category of `groupby`: the view's own when the manifest has that column, else ours. */
export function groupColors(manifest, groupby, categories) {
  const meta = ((manifest && manifest.obs) || []).find((o) => o.name === groupby);
  const byName = new Map();
  if (meta && meta.categories) {
    const colors = categoryColors(meta.categories.length, meta.colors);
    meta.categories.forEach((c, i) => byName.set(String(c), colors[i]));
  }
  const fallback = categoryColors(categories.length, null);
  return categories.map((c, i) => byName.get(String(c)) || fallback[i] || defaults.missingColor);
}

// Plot draws one <circle> per index, in index order: each is tagged with its row's gene.
function tagGenes(rows, onGene) {
  return (index, scales, values, dimensions, context, next) => {
    const g = next(index, scales, values, dimensions, context);
    const circles = g.querySelectorAll("circle");
    index.forEach((i, k) => { if (circles[k]) circles[k].dataset.gene = rows[i].gene; });
    g.addEventListener("click", (ev) => {
      const gene = ev.target && ev.target.dataset ? ev.target.dataset.gene : null;
      if (gene) onGene(gene);
    });
    return g;
  };
}

/**
 * The dot plot of a gene plot's `dot` rows (x gene, y group, area = fraction expressing, fill =
 * mean expression) over its colour legend, in a <div>.
 */
export function dotPlot(Plot, plot, { onGene }) {
  const genes = plot.genes.map(String), cats = plot.categories.map(String);
  const rows = (plot.dot || []).map((d) => ({ ...d, gene: String(d.gene), group: String(d.group) }));
  // Labels rotated 45° reach left of their tick by as much as down: the first must fit too.
  const marginLeft = Math.max(labelRoom(cats), labelRoom(genes.slice(0, 1), true) - defaults.dotCellPx / 2);
  const marginBottom = labelRoom(genes, true);
  const mark = Plot.dot(rows, {
    x: "gene", y: "group", r: "fraction_expressing", fill: "mean_expression", stroke: "#0004", strokeWidth: 0.5,
    title: (d) => `${d.gene} in ${d.group}\nmean expression ${Number(d.mean_expression).toPrecision(3)}\n` +
      `${(100 * d.fraction_expressing).toFixed(1)}% of ${d.n_cells} cells express it`,
    render: tagGenes(rows, onGene),
  });
  const svg = Plot.plot({
    width: marginLeft + genes.length * defaults.dotCellPx + 24,
    height: 10 + cats.length * defaults.dotRowPx + marginBottom,
    marginLeft, marginBottom, marginTop: 10, marginRight: 24,
    x: { domain: genes, label: null, tickRotate: -45, tickFormat: shortLabel },
    y: { domain: cats, label: null, tickFormat: shortLabel },
    r: { domain: [0, 1], range: [0, defaults.dotCellPx * 0.45] },
    color: { type: "linear", scheme: "reds", label: "mean expression", zero: true },
    marks: [mark],
  });
  // The colour legend goes under the plot, so the plot is the wrapper's first <svg>.
  const box = document.createElement("div");
  box.append(svg, svg.legend("color", { marginLeft: 12, width: 240 }));
  return box;
}

/** Violins of a gene plot: one row of facets per gene, one column per group, the median as a dot. */
export function violinPlot(Plot, plot, colors) {
  const genes = plot.genes.map(String), cats = plot.categories.map(String);
  const medians = (plot.violins || []).filter((v) => Number.isFinite(v.median)).map((v) => ({ ...v, group: String(v.group) }));
  const marginRight = labelRoom(genes), marginBottom = labelRoom(cats, true);
  const marginLeft = Math.max(44, labelRoom(cats.slice(0, 1), true) - defaults.violinColumnPx / 2);
  return Plot.plot({
    width: marginLeft + cats.length * defaults.violinColumnPx + marginRight,
    height: 8 + genes.length * defaults.violinRowPx + marginBottom,
    marginLeft, marginRight, marginBottom, marginTop: 8,
    fx: { domain: cats, label: null, tickRotate: -45, axis: "bottom", padding: 0.08, tickFormat: shortLabel },
    fy: { domain: genes, label: null, axis: "right", padding: 0.12, tickFormat: shortLabel },
    x: { axis: null, domain: [-1.08, 1.08] },
    y: { label: null, ticks: 3, grid: true, nice: true },
    color: { domain: cats, range: colors },
    marks: [
      Plot.areaX(violinRows(plot.violins), { fx: "group", fy: "gene", y: "value", x1: (d) => -d.width, x2: "width", fill: "group", fillOpacity: 0.85 }),
      Plot.dot(medians, {
        fx: "group", fy: "gene", x: () => 0, y: "median", r: 2, fill: "white", stroke: "black", strokeWidth: 0.6,
        title: (v) => `${v.gene} in ${v.group} (${v.n_cells} cells)\nmedian ${v.median}, quartiles ${v.q1}–${v.q3}, range ${v.min}–${v.max}`,
      }),
    ],
  });
}

/**
 * Build the gene plots panel into `el`. `env`: app, bridge, data (DataClient), onGene(name, key).
 * Returns {panel, shownId(), request(genes, matrix), show(command), open()}: `request` posts
 * `plot_genes_request` grouped by the categorical field coloured by (else the first categorical
 * obs column), in the matrix choice `matrix` (none: Python's default, scanpy's); `show` applies
 * a `showGenePlot` command; `shownId` is the `resultId` shown (or null).
 */
export function createGenePlotPanel(el, env) {
  const { app, bridge, data } = env;
  const panel = createPanel(el, { title: "Gene plots", testid: "cellucid-geneplots-panel" });
  const sent = new Set();
  let latest = null;
  const dots = createPlotFrame({ testid: "cellucid-dotplot", title: "Dot plot", filename: "cellucid-dotplot.svg", note: "dot area: fraction of cells expressing" });
  const violins = createPlotFrame({ testid: "cellucid-violins", title: "Violins", filename: "cellucid-violins.svg" });
  panel.body.append(dots.el, violins.el);
  dots.el.hidden = violins.el.hidden = true;

  let matrixKey = null, shownId = null;
  const request = async (genes, matrix) => {
    panel.open();
    const requestId = newRequestId("geneplot");
    let payload;
    try {
      payload = buildGenePlotRequest({ requestId, genes, groupby: groupbyFor(app.manifest, app.colorBy), matrix });
    } catch (err) {
      panel.status(err.message, "error");
      return;
    }
    latest = requestId;
    sent.add(requestId);
    panel.status(`Plotting ${payload.genes.length} genes by ${payload.groupby}…`, "busy");
    el.scrollIntoView({ block: "nearest" });
    const delivered = await bridge.send("plot_genes_request", payload);
    if (!delivered && latest === requestId) panel.status("The request did not reach Python.", "error");
  };

  const draw = async (plot) => {
    dots.el.hidden = violins.el.hidden = false;
    const Plot = await plotFor([dots, violins]);
    if (!Plot) return;
    const cats = (plot.categories || []).map(String);
    dots.show(dotPlot(Plot, plot, { onGene: (gene) => env.onGene(gene, matrixKey) }));
    violins.show(violinPlot(Plot, plot, groupColors(app.manifest, plot.groupby, cats)));
  };

  const show = async (c) => {
    const shown = await fetchShownResult(panel, c, {
      isCurrent: (cmd) => isCurrentReply(cmd.requestId, sent, latest),
      load: (resultId) => data.genePlot(resultId), command: "showGenePlot", what: "gene plot",
    });
    if (!shown) return;
    const { id, result: plot } = shown;
    matrixKey = plot.matrix ? plot.matrix.key : null;
    await draw(plot);
    panel.status(`${(plot.genes || []).length} genes by ${plot.groupby}` + (plot.matrix ? ` · ${plot.matrix.label}` : ""));
    el.scrollIntoView({ block: "nearest" });
    shownId = id;
    document.body.dataset.cellucidGenePlot = String(id);
  };

  return { panel, shownId: () => shownId, request, show, open: () => panel.open() };
}
