// The header's embedding and colour-by selects: filled from the manifest (again when it is
// reloaded), switching the app, and kept in step when the app changes otherwise (a command, the
// gene search, a legend click).

import { titleOf } from "../manifest.js";
import { option } from "./dom.js";

/** The embedding menu's label of a manifest entry: its title and dimensions. */
export function embeddingLabel(entry) {
  return `${titleOf(entry)} (${entry.dims}D)`;
}

/** The colour-by menu's label of an obs entry (dataset or Python-pushed): its title. */
export function colorLabel(entry) {
  const title = titleOf(entry);
  return entry.kind === "uncolorable" ? `${title} (cannot colour)` : title;
}

/**
 * Fill `embeddingSelect` and `colorSelect` from `manifest`. `onError(err)` reports a switch that
 * failed. Returns {sync(kind)}, to call with the app's change kinds ("embedding", "color", and
 * "manifest", which refills both menus from `app.manifest`).
 */
export function createControls({ embeddingSelect, colorSelect, manifest, app, onError }) {
  // Stands for the gene coloured by, which is not among the obs columns.
  const geneOption = option("", "");
  geneOption.hidden = true;

  const fill = (m) => {
    embeddingSelect.replaceChildren(...m.embeddings.map((e) => {
      const o = option(e.name, embeddingLabel(e));
      if (e.source === "python") o.dataset.source = "python";
      return o;
    }));
    colorSelect.replaceChildren(option("", "(none)"), ...m.obs.map((o) => {
      const opt = option(o.name, colorLabel(o));
      opt.disabled = o.kind === "uncolorable";
      if (o.source === "python") {
        opt.dataset.source = "python";
        opt.title = `${titleOf(o)}, sent from Python`;
      }
      return opt;
    }), geneOption);
  };
  fill(manifest);

  embeddingSelect.addEventListener("change", () => {
    app.setEmbedding(embeddingSelect.value).catch(onError);
  });
  colorSelect.addEventListener("change", () => {
    if (!colorSelect.value) { app.applyUniform(); return; }
    app.setColorBy(colorSelect.value, "obs").catch(onError);
  });

  const syncEmbedding = () => {
    if (app.embedding) embeddingSelect.value = app.embedding.name;
  };
  const syncColor = () => {
    const c = app.colorBy;
    if (c && c.kind === "gene") {
      geneOption.value = c.field;
      geneOption.textContent = `gene: ${c.field}`;
    }
    colorSelect.value = c ? c.field : "";
  };

  return {
    sync(kind) {
      if (kind === "embedding") syncEmbedding();
      else if (kind === "color") syncColor();
      else if (kind === "manifest") {
        fill(app.manifest);
        syncEmbedding();
        syncColor();
      }
    },
  };
}
