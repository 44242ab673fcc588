// The frame of one plot in a panel: a title, an "SVG" button that downloads the plot as a file,
// and the plot itself (or a line saying it is being drawn, or why it could not be).

import { loadPlot, svgMarkup } from "../plots.js";
import { downloadBlob, element } from "./dom.js";

/**
 * A plot frame: `testid` on the wrapper, `title`, `filename` of the SVG download, `note` (a muted
 * line under the title, optional). Returns {el, body, show(node), message(text, isError)}:
 * `show` puts a Plot-made node in, `message` replaces it with a line of text.
 */
export function createPlotFrame({ testid, title, filename, note }) {
  const el = element("div", "plot-frame");
  el.dataset.testid = testid;
  const head = element("div", "plot-head");
  const save = element("button", "plot-svg", "SVG");
  save.type = "button";
  save.dataset.testid = "cellucid-plot-svg";
  save.title = `Download this plot as ${filename}`;
  save.disabled = true;
  head.append(element("span", "plot-title", title), save);
  el.appendChild(head);
  if (note) el.appendChild(element("div", "muted plot-note", note));
  const body = element("div", "plot-body");
  el.appendChild(body);
  let current = null;
  save.addEventListener("click", () => {
    if (current) downloadBlob(new Blob([svgMarkup(current)], { type: "image/svg+xml" }), filename);
  });
  return {
    el,
    body,
    show(node) {
      current = node;
      body.replaceChildren(node);
      save.disabled = false;
    },
    message(text, isError = false) {
      current = null;
      save.disabled = true;
      body.replaceChildren(element("div", isError ? "panel-error" : "muted", text));
    },
  };
}

/**
 * Observable Plot for drawing into `frames` (plot frames): each says "Drawing…" meanwhile.
 * Resolves to Plot, or to null when it cannot be loaded (each frame then says why).
 */
export async function plotFor(frames) {
  for (const f of frames) f.message("Drawing…");
  try {
    return await loadPlot();
  } catch (err) {
    for (const f of frames) f.message(err.message, true);
    return null;
  }
}
