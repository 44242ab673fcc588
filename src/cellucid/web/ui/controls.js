// The header's embedding and colour-by selects: filled from the manifest, switching the app, and
// kept in step when the app changes otherwise (a command, the gene search, a legend click).

import { option } from "./dom.js";

/**
 * Fill `embeddingSelect` and `colorSelect` from `manifest`. `onError(err)` reports a switch that
 * failed. Returns {sync(kind)}, to call with the app's change kinds ("embedding", "color").
 */
export function createControls({ embeddingSelect, colorSelect, manifest, app, onError }) {
  for (const e of manifest.embeddings) embeddingSelect.appendChild(option(e.name, `${e.name} (${e.dims}D)`));
  embeddingSelect.addEventListener("change", () => {
    app.setEmbedding(embeddingSelect.value).catch(onError);
  });

  colorSelect.appendChild(option("", "(none)"));
  for (const o of manifest.obs) {
    const uncolorable = o.kind === "uncolorable";
    const opt = option(o.name, uncolorable ? `${o.name} (cannot colour)` : o.name);
    opt.disabled = uncolorable;
    colorSelect.appendChild(opt);
  }
  // Stands for the gene coloured by, which is not among the obs columns.
  const geneOption = option("", "");
  geneOption.hidden = true;
  colorSelect.appendChild(geneOption);
  colorSelect.addEventListener("change", () => {
    if (!colorSelect.value) { app.applyUniform(); return; }
    app.setColorBy(colorSelect.value, "obs").catch(onError);
  });

  return {
    sync(kind) {
      if (kind === "embedding") {
        embeddingSelect.value = app.embedding.name;
      } else if (kind === "color") {
        const c = app.colorBy;
        if (c && c.kind === "gene") {
          geneOption.value = c.field;
          geneOption.textContent = `gene: ${c.field}`;
        }
        colorSelect.value = c ? c.field : "";
      }
    },
  };
}
