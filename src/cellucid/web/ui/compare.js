// The compare panel: the current selection (the group) against a reference (rest, a highlight
// group, or a saved selection) in a matrix (scanpy's default: `.raw` when the data has one) by a
// method. Run posts `compare_request`; the reply (`showComparison`) is drawn by the result view
// (`compareresult.js`: the matrix compared and its notes, the volcano, the ranked table), and the
// form is set to what was compared. A row or a point colours the view by its gene; "Plot genes"
// asks for gene plots of the top genes, in the same matrix.

import {
  buildCompareRequest, choiceOfKey, defaults as compareDefaults, isCurrentReply, matrixChoices,
  newRequestId, referenceChoices,
} from "../compare.js";
import { createResultView } from "./compareresult.js";
import { element, option } from "./dom.js";
import { createPanel, fetchShownResult } from "./panel.js";

function labelled(text, control) {
  const label = element("label", "", text);
  label.appendChild(control);
  return label;
}

function button(text, testid, title, className = "") {
  const b = element("button", className, text);
  b.type = "button";
  b.dataset.testid = testid;
  if (title) b.title = title;
  return b;
}

/**
 * The form: reference (with "Selection as reference"), matrix, method, tie correction, Run.
 * Returns its controls and rows; `setTo(comparison)` shows what a comparison compared;
 * `syncTies()` enables tie correction for Wilcoxon only.
 */
function createForm(matrices) {
  const refSelect = element("select");
  refSelect.dataset.testid = "cellucid-compare-reference";
  refSelect.title = "Compare the group with these cells";
  const setRef = button("Selection as reference", "cellucid-compare-set-reference", "Save the current selection as the reference, then select the group");
  const method = element("select");
  method.dataset.testid = "cellucid-compare-method";
  method.append(...compareDefaults.methods.map((m) => option(m, m)));
  const matrix = element("select");
  matrix.dataset.testid = "cellucid-compare-matrix";
  matrix.title = "The expression matrix compared: .raw (scanpy's default when the data has one), X or a layer";
  matrix.append(...matrices.map((c) => option(c.value, c.label)));
  const ties = element("input");
  ties.type = "checkbox";
  ties.dataset.testid = "cellucid-compare-tie-correct";
  const tiesLabel = element("label", "", " tie correction");
  tiesLabel.prepend(ties);
  tiesLabel.title = "Correct the Wilcoxon test for tied values (scanpy's tie_correct)";
  const runBtn = button("Run", "cellucid-compare-run", "", "primary");
  const rows = [element("div", "panel-row"), element("div", "panel-row")];
  rows[0].append(labelled("Reference ", refSelect), setRef);
  rows[1].append(labelled("Matrix ", matrix), labelled("Method ", method), tiesLabel, runBtn);
  const syncTies = () => { ties.disabled = method.value !== "wilcoxon"; };
  method.addEventListener("change", syncTies);
  syncTies();
  const setTo = (comparison) => {
    const choice = comparison.matrix && choiceOfKey(matrices, comparison.matrix.key);
    if (choice) matrix.value = choice.value;
    if (compareDefaults.methods.includes(comparison.method)) method.value = comparison.method;
    ties.checked = Boolean(comparison.tie_correct);
    syncTies();
  };
  return {
    rows, refSelect, setRef, runBtn, setTo,
    method: () => method.value,
    matrix: () => matrices.find((c) => c.value === matrix.value),
    matrixLabel: () => (matrix.selectedOptions.length ? matrix.selectedOptions[0].textContent : ""),
    tieCorrect: () => !ties.disabled && ties.checked,
  };
}

/**
 * The reference select's choices: rest, the highlight groups, and the selection saved with
 * "Selection as reference". `fill()` lists them again (keeping the choice when it is still
 * there); `chosen()` is the choice made.
 */
function createReferences(form, app, panel) {
  const { refSelect } = form;
  let saved = null, choices = [];
  const fill = () => {
    const before = refSelect.value;
    choices = referenceChoices([...app.highlights.values()], saved);
    refSelect.replaceChildren(...choices.map((c) => {
      const o = option(c.value, c.label);
      if (c.cells) o.title = `${c.cells.length.toLocaleString("en-US")} cells`;
      return o;
    }));
    refSelect.value = choices.some((c) => c.value === before) ? before : "rest";
  };
  refSelect.addEventListener("change", () => panel.status(""));
  form.setRef.addEventListener("click", () => {
    if (!app.selection.length) { panel.status("Select the reference cells first, then press this button.", "error"); return; }
    saved = app.keepSelection ? app.keepSelection() : app.selection.slice();
    fill();
    refSelect.value = "saved";
    panel.status(`Reference saved: ${saved.length.toLocaleString("en-US")} cells. Now select the group and Run.`);
  });
  return { fill, chosen: () => choices.find((c) => c.value === refSelect.value) || choices[0] };
}

/**
 * Post `compare_request` for the selection against the chosen reference, as the form says;
 * `requests` remembers this page's requests ({sent, latest}) so only the newest reply is shown.
 */
async function runComparison({ app, bridge, panel, form, references, requests }) {
  panel.open();
  const choice = references.chosen();
  const requestId = newRequestId("compare");
  let payload;
  try {
    payload = await buildCompareRequest({
      requestId, group: app.selection, reference: choice.cells || "rest", method: form.method(),
      groupLabel: compareDefaults.groupLabel, referenceLabel: choice.label,
      matrix: form.matrix(), tieCorrect: form.tieCorrect(),
    }, app.n);
  } catch (err) {
    panel.status(err.message, "error");
    return;
  }
  requests.latest = requestId;
  requests.sent.add(requestId);
  const what = form.matrixLabel() ? ` in ${form.matrixLabel()}` : "";
  panel.status(`Comparing ${app.selection.length.toLocaleString("en-US")} selected cells with ${choice.label}${what} (${payload.method})…`, "busy");
  const delivered = await bridge.send("compare_request", payload);
  if (!delivered && requests.latest === requestId) panel.status("The request did not reach Python.", "error");
}

/**
 * Build the compare panel into `el`. `env`: app, bridge, data (DataClient), onGene(name, key)
 * (colour the view by a gene of the compared matrix, `key` as a result's `matrix.key`),
 * onPlotGenes(genes, matrix) ("Plot genes", a `matrixChoices` choice). Returns {panel,
 * shownId() (the `resultId` shown, or null), open(), run(), show(command), sync(kind)}: `show`
 * applies a `showComparison` command (resolves once the table and volcano are drawn; rejects
 * when the comparison cannot be fetched); `sync` takes the app's change kinds.
 */
export function createComparePanel(el, env) {
  const { app, bridge, data } = env;
  const panel = createPanel(el, { title: "Compare", testid: "cellucid-compare-panel" });
  const requests = { sent: new Set(), latest: null };
  let shownMatrix = null, shownId = null;
  const matrices = matrixChoices(app.manifest);

  const groupLine = element("div", "muted compare-group");
  const form = createForm(matrices);
  const references = createReferences(form, app, panel);
  const view = createResultView({
    onPick: (gene) => {
      view.mark(gene);
      env.onGene(gene, shownMatrix && shownMatrix.key);
    },
    onPlotGenes: (genes) => env.onPlotGenes(genes, shownMatrix && choiceOfKey(matrices, shownMatrix.key)),
  });
  panel.body.append(groupLine, ...form.rows, view.el);

  const updateGroup = () => {
    const k = app.selection.length;
    groupLine.textContent = k
      ? `Group: the selection, ${k.toLocaleString("en-US")} cells`
      : "Group: select cells (lasso, click, a legend category), then Run";
  };
  const run = () => runComparison({ app, bridge, panel, form, references, requests });
  const show = async (c) => {
    const shown = await fetchShownResult(panel, c, {
      isCurrent: (cmd) => isCurrentReply(cmd.requestId, requests.sent, requests.latest),
      load: (resultId) => data.comparison(resultId), command: "showComparison", what: "comparison",
    });
    if (!shown) return;
    const { id, result: comparison } = shown;
    shownMatrix = comparison.matrix || null;
    form.setTo(comparison);   // so Run compares the same way again
    await view.render(comparison);
    panel.status("");
    shownId = id;
    document.body.dataset.cellucidComparison = String(id);
  };

  form.runBtn.addEventListener("click", () => run());
  references.fill();
  updateGroup();

  return {
    panel,
    shownId: () => shownId,
    open: () => panel.open(),
    isOpen: () => panel.isOpen(),
    run,
    show,
    sync(kind) {
      if (kind === "highlights") references.fill();
      else if (kind === "selection") updateGroup();
    },
  };
}
