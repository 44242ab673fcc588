// What the compare and gene-plot panels compute without the DOM: the `compare_request` and
// `plot_genes_request` payloads, the matrix choices (scanpy's: `.raw` first when the data has
// one), the ranked table's rows, the volcano's points and axes, the reference choices and the
// groupby field (docs/protocol.md).

import { encodeCells } from "./cells.js";

export const defaults = {
  tableRows: 100,
  volcanoTop: 10,
  plotGenes: 10,
  maxPlotGenes: 30,
  methods: ["wilcoxon", "t-test"],
  groupLabel: "selection",
  restLabel: "rest",
  savedLabel: "saved selection",
  rawKey: ".raw",
  // When no adjusted p is above 0, every p of 0 is drawn at this one.
  zeroPFloor: 1e-300,
};

let counter = 0;

/** A fresh request id: `prefix`, the time and a per-page counter. */
export function newRequestId(prefix) {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** An adjusted p-value for the table: `1.2e-5` below 0.001, else 2 significant digits; `–` for none. */
export function formatP(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) return "–";
  if (p === 0) return "0";
  if (p < 0.001) return p.toExponential(1);
  return String(Number(p.toPrecision(2)));
}

/** A log fold change with 2 decimals (`–` for none, never `-0.00`). */
export function formatFold(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const s = v.toFixed(2);
  return s === "-0.00" ? "0.00" : s;
}

/** A fraction (0–1) as a percentage with one decimal: `45.0%` (`–` for none). */
export function formatPercent(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "–";
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * The ranked table's rows from a comparison's `genes` (columns of arrays, sorted by score): the
 * first `limit`, each `{gene, cells: [name, log fold change, adjusted p, % group, % reference]}`
 * formatted for display.
 */
export function rankedRows(genes, limit = defaults.tableRows) {
  const names = genes.names || [];
  const rows = [];
  for (let i = 0; i < Math.min(limit, names.length); i++) {
    rows.push({
      gene: String(names[i]),
      cells: [
        String(names[i]),
        formatFold(at(genes.logfoldchanges, i)),
        formatP(at(genes.pvals_adj, i)),
        formatPercent(at(genes.pct_nz_group, i)),
        formatPercent(at(genes.pct_nz_reference, i)),
      ],
    });
  }
  return rows;
}

function at(column, i) {
  return column ? column[i] : undefined;
}

/**
 * The volcano's points: `{gene, x: log fold change, y: −log10 adjusted p, p, score, top, clamped}` for
 * every gene with a finite fold change and p. A p of 0 is drawn at the smallest positive p of
 * the comparison (`clamped`); `top` marks the `top` genes of highest score. Returns {points,
 * floor, omitted (genes left out: no finite fold change or p), x: [min, max], y: [0, max]}: the
 * axes' domains, fitted to the points drawn (x always spans 0).
 */
export function volcanoPoints(genes, top = defaults.volcanoTop) {
  const names = genes.names || [];
  const lfc = genes.logfoldchanges || [], padj = genes.pvals_adj || [], scores = genes.scores || [];
  let floor = Infinity;
  for (const p of padj) if (p !== null && p > 0 && Number.isFinite(p)) floor = Math.min(floor, p);
  if (floor === Infinity) floor = defaults.zeroPFloor;
  const ranked = names.map((_, i) => i).filter((i) => isNum(scores[i])).sort((a, b) => scores[b] - scores[a] || a - b);
  const best = new Set(ranked.slice(0, top));
  const points = [];
  let xMin = 0, xMax = 0, yMax = 0;
  for (let i = 0; i < names.length; i++) {
    const x = lfc[i], p = padj[i];
    if (!isNum(x) || !isNum(p) || p < 0) continue;
    const clamped = p === 0;
    const y = -Math.log10(clamped ? floor : p);
    points.push({ gene: String(names[i]), x, y, p, score: isNum(scores[i]) ? scores[i] : null, top: best.has(i), clamped });
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMax = Math.max(yMax, y);
  }
  return { points, floor, omitted: names.length - points.length, x: padded(xMin, xMax), y: [0, yMax > 0 ? yMax * 1.06 : 1] };
}

function padded(lo, hi) {
  const pad = (hi - lo) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

/** The line under the volcano about the genes it could not draw, or "" when it drew them all. */
export function omittedNote(omitted) {
  if (!omitted) return "";
  const genes = omitted === 1 ? "1 gene has" : `${omitted.toLocaleString("en-US")} genes have`;
  return `${genes} no finite log fold change and ${omitted === 1 ? "is" : "are"} not drawn (see the table).`;
}

/**
 * The matrices a comparison or gene plot can read, from the manifest: `.raw` first when the data
 * has one (scanpy's default), then `X` and the layers: `[{value, label, useRaw, layer}]`. The
 * default choice is the first: `.raw`, else the manifest's default layer (listed first).
 */
export function matrixChoices(manifest) {
  const m = manifest || {};
  const out = [];
  if (m.raw) out.push({ value: defaults.rawKey, label: ".raw", useRaw: true, layer: null });
  const layers = (m.layers || []).slice();
  const first = layers.indexOf(m.default_layer);
  if (first > 0) layers.unshift(...layers.splice(first, 1));
  for (const name of layers) out.push({ value: `layer:${name}`, label: name === "X" ? "X" : `layer ${name}`, useRaw: false, layer: name });
  return out;
}

/** The matrix choice whose key (`.raw`, `X` or a layer name, as a result's `matrix.key`) is `key`. */
export function choiceOfKey(choices, key) {
  return choices.find((c) => (key === defaults.rawKey ? c.useRaw : c.layer === key)) || null;
}

function isNum(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * The reference select's choices: rest, each highlight group (`groups`: [{name, cells}]) and the
 * saved selection when there is one: `[{value, label, cells}]` (`cells` null for rest).
 */
export function referenceChoices(groups, saved) {
  const out = [{ value: "rest", label: defaults.restLabel, cells: null }];
  for (const g of groups) out.push({ value: `group:${g.name}`, label: g.name, cells: g.cells });
  if (saved && saved.length) out.push({ value: "saved", label: defaults.savedLabel, cells: saved });
  return out;
}

/**
 * The `compare_request` payload: `group` (sorted cells) against `reference` ("rest" or sorted
 * cells), both in their wire form for a dataset of `n` cells, in the matrix `matrix` (a choice
 * of `matrixChoices`; none: Python's default, scanpy's), with `tieCorrect` (Wilcoxon). Throws an
 * Error for the user when the group or reference is empty or the method unknown.
 */
export async function buildCompareRequest({ requestId, group, reference, method, groupLabel, referenceLabel, matrix, tieCorrect }, n) {
  if (!group || group.length === 0) throw new Error("Select the cells to compare first (the group), then Run.");
  if (!defaults.methods.includes(method)) throw new Error(`unknown method ${method}; one of ${defaults.methods.join(", ")}`);
  const rest = reference === "rest" || reference == null;
  if (!rest && reference.length === 0) throw new Error("The reference has no cells.");
  const payload = { requestId, group: await encodeCells(group, n), reference: rest ? "rest" : await encodeCells(reference, n), method };
  if (groupLabel) payload.groupLabel = groupLabel;
  if (referenceLabel) payload.referenceLabel = referenceLabel;
  Object.assign(payload, matrixFields(matrix));
  if (tieCorrect) payload.tieCorrect = true;
  return payload;
}

/** `{useRaw, layer}` of a request for matrix choice `matrix` ({} for none: Python's default). */
export function matrixFields(matrix) {
  return matrix ? { useRaw: Boolean(matrix.useRaw), layer: matrix.layer ?? null } : {};
}

/**
 * The `plot_genes_request` payload, in the matrix `matrix` (as for `buildCompareRequest`); throws
 * for no genes, more than `maxPlotGenes`, or no groupby.
 */
export function buildGenePlotRequest({ requestId, genes, groupby, matrix }) {
  const list = (genes || []).map(String);
  if (!list.length) throw new Error("No genes to plot.");
  if (list.length > defaults.maxPlotGenes) throw new Error(`At most ${defaults.maxPlotGenes} genes can be plotted at once.`);
  if (!groupby) throw new Error("No categorical column to group the cells by.");
  return { requestId, genes: list, groupby, ...matrixFields(matrix) };
}

/**
 * The field gene plots group by: the categorical field coloured by, else the manifest's first
 * categorical obs column, else null.
 */
export function groupbyFor(manifest, colorBy) {
  if (colorBy && colorBy.type === "categorical") return colorBy.field;
  const first = (manifest && manifest.obs || []).find((o) => o.kind === "categorical");
  return first ? first.name : null;
}

/** Whether a reply to request `requestId` is for this panel: not one it superseded since. */
export function isCurrentReply(requestId, sent, latest) {
  return requestId == null || !sent.has(requestId) || requestId === latest;
}
