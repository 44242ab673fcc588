// The tile columns of a tiled view: each kind of per-tile data (positions of an embedding, obs
// rows, the values of a colouring) as {key, size(t), fetch(tiles), onMeta?} for the loader, and
// what a colouring shows (its type, range, categories).

import { categoryColors } from "../colors.js";
import { titleOf, versionOf } from "../manifest.js";

/** Positions of embedding `name` (its `version`, `dims` per cell). */
export function positionColumn(client, counts, name, version, dims) {
  return { key: `p|${name}|${version}`, size: (t) => counts[t] * dims, fetch: async (tiles) => ({ array: await client.positions(name, tiles) }) };
}

/** The obs row of each cell. */
export function rowsColumn(client, counts) {
  return { key: "r", size: (t) => counts[t], fetch: async (tiles) => ({ array: await client.rows(tiles) }) };
}

/**
 * The values of a colouring: obs column `field` (manifest entry `meta`) or gene `field` of
 * `layer`; a gene's column learns the gene's {min, max} over every cell from its first reply.
 */
export function colorColumn(client, counts, { field, kind, layer, meta }) {
  const size = (t) => counts[t];
  if (kind === "obs") {
    return { key: `o|${field}|${versionOf(meta)}`, size, fetch: async (tiles) => ({ array: await client.obs(field, tiles) }) };
  }
  const column = {
    key: `g|${layer || ""}|${field}`, size, extent: null,
    fetch: async (tiles) => {
      const g = await client.gene(field, layer, tiles);
      return { array: g.array, meta: { min: g.min, max: g.max } };
    },
  };
  column.onMeta = (m) => { column.extent = m; };
  return column;
}

/** What a colouring shows: {field, kind, title, version, type, min/max or categories…, column}. */
export function colorSpec({ field, kind, layer, meta, column, defaultLayer }) {
  if (kind === "gene") {
    const title = layer && layer !== defaultLayer ? `${field} (${layer === ".raw" ? ".raw" : layer})` : field;
    const ext = column.extent || { min: 0, max: 1 };
    return { field, kind, title, version: null, type: "continuous", min: ext.min, max: ext.max, column };
  }
  const base = { field, kind, title: titleOf(meta), version: versionOf(meta), column };
  if (meta.kind === "continuous") return { ...base, type: "continuous", min: meta.min, max: meta.max };
  const categories = meta.categories || [];
  return { ...base, type: "categorical", categories, colors: categoryColors(categories.length, meta.colors), counts: meta.counts || new Array(categories.length).fill(0) };
}
