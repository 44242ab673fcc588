import test from "node:test";
import assert from "node:assert/strict";
import {
  buildCompareRequest, buildGenePlotRequest, choiceOfKey, formatFold, formatP, formatPercent, groupbyFor,
  isCurrentReply, matrixChoices, newRequestId, omittedNote, rankedRows, referenceChoices, volcanoPoints,
} from "../../src/cellucid/web/compare.js";
import { decodeCells } from "../../src/cellucid/web/cells.js";

test("adjusted p-values, fold changes and percentages are formatted for the table", () => {
  assert.equal(formatP(1.234e-5), "1.2e-5");
  assert.equal(formatP(2.8e-50), "2.8e-50");
  assert.equal(formatP(0.0342), "0.034");
  assert.equal(formatP(0.001), "0.001");
  assert.equal(formatP(1), "1");
  assert.equal(formatP(0), "0");
  assert.equal(formatP(null), "–");
  assert.equal(formatP(NaN), "–");
  assert.equal(formatFold(1.23456), "1.23");
  assert.equal(formatFold(-0.001), "0.00");
  assert.equal(formatFold(null), "–");
  assert.equal(formatPercent(0.4567), "45.7%");
  assert.equal(formatPercent(1), "100.0%");
  assert.equal(formatPercent(undefined), "–");
});

const genes = {
  names: ["A", "B", "C", "D", "E"],
  scores: [9, 7, null, 3, -2],
  logfoldchanges: [2.5, null, 1, -0.5, -3],
  pvals: [0, 1e-8, 0.01, 0.2, 0.5],
  pvals_adj: [0, 1e-7, 0.02, null, 0.9],
  pct_nz_group: [0.9, 0.5, 0.25, 0.1, 0],
  pct_nz_reference: [0.1, 0.2, 0.25, 0.3, 0.4],
};

test("ranked rows: the first rows in order, formatted", () => {
  const rows = rankedRows(genes);
  assert.deepEqual(rows.map((r) => r.gene), ["A", "B", "C", "D", "E"]);
  assert.deepEqual(rows[0].cells, ["A", "2.50", "0", "90.0%", "10.0%"]);
  assert.deepEqual(rows[1].cells, ["B", "–", "1.0e-7", "50.0%", "20.0%"]);
  assert.deepEqual(rows[3].cells, ["D", "-0.50", "–", "10.0%", "30.0%"]);
  assert.equal(rankedRows(genes, 2).length, 2);
  const many = { names: Array.from({ length: 250 }, (_, i) => `g${i}`) };
  assert.equal(rankedRows(many).length, 100);
  assert.deepEqual(rankedRows(many)[0].cells, ["g0", "–", "–", "–", "–"]);
});

test("volcano: −log10 adjusted p, p = 0 at the smallest positive p, nulls left out", () => {
  const { points, floor } = volcanoPoints(genes, 2);
  assert.equal(floor, 1e-7);
  // B has no fold change, D no p: left out.
  assert.deepEqual(points.map((p) => p.gene), ["A", "C", "E"]);
  const a = points[0];
  assert.equal(a.clamped, true);
  assert.equal(a.y, 7);
  assert.equal(a.p, 0);
  assert.ok(Math.abs(points[1].y - -Math.log10(0.02)) < 1e-12);
  assert.equal(points[1].clamped, false);
});

test("volcano: the axes fit the points drawn, and the genes left out are counted", () => {
  const v = volcanoPoints(genes, 2);
  assert.equal(v.omitted, 2);                       // B (no fold change) and D (no p)
  assert.equal(v.y[0], 0);
  assert.ok(v.y[1] >= 7 && v.y[1] <= 7 * 1.1);     // up to A's −log10 p (clamped at the floor)
  assert.ok(v.x[0] < -3 && v.x[0] > -3.5 && v.x[1] > 2.5 && v.x[1] < 3);
  // Scaled data: the best genes have no fold change; the axes still fit what is drawn.
  const scaled = { names: ["top", "next", "ok"], scores: [30, 20, 1], logfoldchanges: [null, NaN, 0.5], pvals_adj: [1e-72, 1e-40, 0.1] };
  const s = volcanoPoints(scaled);
  assert.deepEqual(s.points.map((p) => p.gene), ["ok"]);
  assert.equal(s.omitted, 2);
  assert.ok(s.y[1] >= 1 && s.y[1] < 1.2);
  assert.equal(omittedNote(2), "2 genes have no finite log fold change and are not drawn (see the table).");
  assert.equal(omittedNote(1), "1 gene has no finite log fold change and is not drawn (see the table).");
  assert.equal(omittedNote(0), "");
});

test("matrix choices: .raw first when the data has one (scanpy's default), then the layers", () => {
  const withRaw = matrixChoices({ layers: ["X", "counts"], default_layer: "X", raw: { n_genes: 2000 } });
  assert.deepEqual(withRaw.map((c) => [c.value, c.label, c.useRaw, c.layer]),
    [[".raw", ".raw", true, null], ["layer:X", "X", false, "X"], ["layer:counts", "layer counts", false, "counts"]]);
  const plain = matrixChoices({ layers: ["X", "lognorm"], default_layer: "lognorm", raw: null });
  assert.deepEqual(plain.map((c) => c.value), ["layer:lognorm", "layer:X"]);
  assert.equal(choiceOfKey(withRaw, ".raw").value, ".raw");
  assert.equal(choiceOfKey(withRaw, "counts").value, "layer:counts");
  assert.equal(choiceOfKey(plain, ".raw"), null);
});

test("the matrix and tie correction travel in both requests", async () => {
  const [raw, x] = matrixChoices({ layers: ["X"], default_layer: "X", raw: { n_genes: 5 } });
  const p = await buildCompareRequest({ requestId: "r", group: [1, 2], reference: "rest", method: "wilcoxon", matrix: raw, tieCorrect: true }, 10);
  assert.deepEqual([p.useRaw, p.layer, p.tieCorrect], [true, null, true]);
  const q = await buildCompareRequest({ requestId: "r", group: [1, 2], reference: "rest", method: "t-test", matrix: x }, 10);
  assert.deepEqual([q.useRaw, q.layer, "tieCorrect" in q], [false, "X", false]);
  assert.deepEqual(buildGenePlotRequest({ requestId: "g", genes: ["A"], groupby: "leiden", matrix: raw }),
    { requestId: "g", genes: ["A"], groupby: "leiden", useRaw: true, layer: null });
});

test("volcano: the top genes are those of highest score, whatever the order", () => {
  const shuffled = { names: ["x", "y", "z", "w"], scores: [1, 5, null, 3], logfoldchanges: [1, 1, 1, 1], pvals_adj: [0.5, 0.5, 0.5, 0.5] };
  const { points } = volcanoPoints(shuffled, 2);
  assert.deepEqual(points.filter((p) => p.top).map((p) => p.gene).sort(), ["w", "y"]);
  // Every p 0: drawn at a fixed floor rather than at infinity.
  const zeros = volcanoPoints({ names: ["a"], scores: [1], logfoldchanges: [1], pvals_adj: [0] });
  assert.ok(Number.isFinite(zeros.points[0].y) && zeros.points[0].y > 0);
});

test("compare_request: the group and reference in their wire form", async () => {
  const p = await buildCompareRequest({
    requestId: "r1", group: Uint32Array.of(1, 3), reference: "rest", method: "wilcoxon", groupLabel: "selection", referenceLabel: "rest",
  }, 10);
  assert.deepEqual(p, { requestId: "r1", group: [1, 3], reference: "rest", method: "wilcoxon", groupLabel: "selection", referenceLabel: "rest" });
  const n = 100000;
  const big = Uint32Array.from({ length: 30000 }, (_, i) => i * 3);
  const q = await buildCompareRequest({ requestId: "r2", group: Uint32Array.of(5), reference: big, method: "t-test" }, n);
  assert.equal(q.reference.encoding, "bitmask");
  assert.deepEqual(Array.from(await decodeCells(q.reference, n)), Array.from(big));
  assert.equal("groupLabel" in q, false);
});

test("compare_request refuses an empty group or reference and unknown methods", async () => {
  await assert.rejects(buildCompareRequest({ requestId: "r", group: new Uint32Array(0), reference: "rest", method: "wilcoxon" }, 5), /Select the cells/);
  await assert.rejects(buildCompareRequest({ requestId: "r", group: [1], reference: new Uint32Array(0), method: "wilcoxon" }, 5), /reference has no cells/);
  await assert.rejects(buildCompareRequest({ requestId: "r", group: [1], reference: "rest", method: "logreg" }, 5), /unknown method/);
});

test("plot_genes_request: genes and groupby, at most 30 genes", () => {
  assert.deepEqual(buildGenePlotRequest({ requestId: "g", genes: ["A", "B"], groupby: "leiden" }), { requestId: "g", genes: ["A", "B"], groupby: "leiden" });
  assert.throws(() => buildGenePlotRequest({ requestId: "g", genes: [], groupby: "leiden" }), /No genes/);
  assert.throws(() => buildGenePlotRequest({ requestId: "g", genes: Array(31).fill("A"), groupby: "leiden" }), /At most 30/);
  assert.throws(() => buildGenePlotRequest({ requestId: "g", genes: ["A"], groupby: null }), /categorical/);
});

test("gene plots group by the categorical field coloured by, else the first categorical column", () => {
  const manifest = { obs: [{ name: "n_genes", kind: "continuous" }, { name: "is_doublet", kind: "boolean" }, { name: "leiden", kind: "categorical" }] };
  assert.equal(groupbyFor(manifest, { field: "python:cats", type: "categorical" }), "python:cats");
  assert.equal(groupbyFor(manifest, { field: "CD3E", kind: "gene", type: "continuous" }), "leiden");
  assert.equal(groupbyFor(manifest, null), "leiden");
  assert.equal(groupbyFor({ obs: [] }, null), null);
});

test("reference choices: rest, each highlight group, then the saved selection", () => {
  const groups = [{ name: "group 1", cells: Uint32Array.of(1) }, { name: "rest", cells: Uint32Array.of(2) }];
  const choices = referenceChoices(groups, Uint32Array.of(4, 5));
  assert.deepEqual(choices.map((c) => [c.value, c.label]), [["rest", "rest"], ["group:group 1", "group 1"], ["group:rest", "rest"], ["saved", "saved selection"]]);
  assert.equal(choices[0].cells, null);
  assert.deepEqual(referenceChoices([], new Uint32Array(0)).map((c) => c.value), ["rest"]);
});

test("replies to superseded requests are ignored; others are shown", () => {
  const sent = new Set(["a", "b"]);
  assert.equal(isCurrentReply("b", sent, "b"), true);
  assert.equal(isCurrentReply("a", sent, "b"), false);
  assert.equal(isCurrentReply(undefined, sent, "b"), true);
  assert.equal(isCurrentReply("from-another-page", sent, "b"), true);
});

test("request ids are unique and short", () => {
  const a = newRequestId("compare"), b = newRequestId("compare");
  assert.notEqual(a, b);
  assert.match(a, /^compare-/);
  assert.ok(a.length <= 128);
});
