// The viewer state of a tiled view (a dataset with more cells than the point budget): the same
// surface as `App`, drawn from tiles of a level-of-detail order. The page holds only the cells it
// draws; selections, highlight groups and hidden cells are sets the kernel holds over every cell
// (`sets.js`), whose bits the page reads for its tiles. docs/protocol.md, "Level of detail".

import { App, defaults as appDefaults } from "../app.js";
import { extentRadius } from "../camera.js";
import { categoryLUT, colormapRGBA, parseHex } from "../colors.js";
import { FLAG_INVALID, FLAGS_NOT_DRAWN } from "../constants.js";
import { titleOf, versionOf } from "../manifest.js";
import { padBounds } from "../visibility.js";
import { PointBudget, budgetFromQuery, isSoftwareRenderer } from "./budget.js";
import { TileCache } from "./cache.js";
import { TileClient } from "./client.js";
import { colorColumn, colorSpec, positionColumn, rowsColumn } from "./columns.js";
import { TileLoader } from "./loader.js";
import { coarsestCells, levelTileList, planTiles, tileIndex, viewBox, viewTest } from "./plan.js";
import { assemble, jitterHalf, vertexOf } from "./scene.js";
import { Scheduler } from "./scheduler.js";
import { HIDDEN, KernelCells, SAVED, SELECTION, TileSets, groupSet } from "./sets.js";

export const defaults = {
  pointDensity: 0.9,
  minPointPx: 1.25,
  maxPointPx: 14,
  targetCoverage: 1.5,
  minAlpha: 0.15,
  problemRepeatMs: 10_000,
};

/**
 * The app of a viewer: a `TiledApp` when its dataset has more cells than its point budget
 * (`info.tiled`, after fetching the tile index), else an `App` holding every cell. `o`:
 * canvas, data (DataClient), bridge, info (`_cellucid/info`), search (the page URL's query),
 * onProblem(text).
 */
export async function createApp(o) {
  if (!o.info.tiled) return new App(o);
  const client = new TileClient(o.data);
  const index = tileIndex(await client.index());
  return new TiledApp({ ...o, client, index });
}

/** The point budget of a tiled view: the viewer's, lowered by `?pointBudget=` when given. */
function makeBudget({ info, index, renderer, search, onProblem }) {
  let max = Number(info.pointBudget) || index.nCells;
  try {
    const asked = budgetFromQuery(search);
    if (asked !== null) max = Math.min(max, asked);
  } catch (err) {
    onProblem(err.message);
  }
  return new PointBudget({ max, floor: coarsestCells(index), software: isSoftwareRenderer(renderer) });
}

export class TiledApp extends App {
  constructor(o) {
    super(o);
    this.tiled = true;
    this.resolvesInKernel = true;
    this.client = o.client;
    this.index = o.index;
    this.onProblem = o.onProblem || (() => {});
    this.cache = new TileCache();
    this.loader = new TileLoader({ cache: this.cache, counts: this.index.counts });
    this.sets = new TileSets({ client: this.client, counts: this.index.counts });
    this.sets.onNewer = (meta) => this.updateSets([meta]);
    this.selection = this.sets.get(SELECTION);
    this.budget = makeBudget({ ...o, renderer: this.renderer.webglRenderer, index: this.index });
    this.scheduler = new Scheduler({ app: this, loader: this.loader, counts: this.index.counts });
    this.rowsColumn = rowsColumn(this.client, this.index.counts);
    this.colorColumn = null;
    this.drawn = [];
    this.scene = null;
    this.inView = 0;
    this.lastPick = { cell: -1, vertex: -1 };
    this.problems = new Map();
    this.boundsCache = new Map();
    document.body.dataset.cellucidTiled = "1";
    document.body.dataset.cellucidBudget = String(this.budget.value);
  }

  /** Tell the user of a problem (a tile that cannot be read, a refused step), once a while. */
  problem(err) {
    const text = err && err.message ? err.message : String(err);
    const now = Date.now();
    if (now - (this.problems.get(text) || -Infinity) < defaults.problemRepeatMs) return;
    this.problems.set(text, now);
    console.warn(`cellucid: ${text}`);
    this.onProblem(text);
  }

  // ---- the plan and the drawn cells ------------------------------------------------------------

  /** The tiles wanted now (planTiles), or null before an embedding is shown. */
  plan() {
    const e = this.embedding;
    if (!e) return null;
    return planTiles(this.index, viewTest(this.camera, e.bounds, e.dims), this.budget.value);
  }

  /** The columns a tile needs to be drawn: positions, rows, colours, the bits of sets in use. */
  requiredColumns() {
    const cols = [this.embedding.column, this.rowsColumn];
    if (this.colorColumn) cols.push(this.colorColumn);
    for (const cells of this.setsInUse()) cols.push(this.sets.column(cells));
    return cols;
  }

  /** The sets whose bits the drawing needs: selection and hidden cells when any, the groups. */
  setsInUse() {
    const out = [];
    for (const name of [SELECTION, HIDDEN]) {
      const cells = this.sets.get(name);
      if (cells.count > 0) out.push(cells);
    }
    for (const g of this.highlights.values()) if (g.cells.count > 0) out.push(g.cells);
    return out;
  }

  /** Draw these tiles (the scheduler found their data cached). */
  showTiles(tiles) {
    this.drawn = tiles;
    this.rebuild();
  }

  /** Draw again after what the tiles need changed: keep the drawn tiles that have it all. */
  redraw() {
    const columns = this.requiredColumns();
    this.drawn = this.drawn.filter((t) => columns.every((c) => this.loader.has(c, t)));
    this.scheduler.drawable = this.drawn;
    this.rebuild();
    this.scheduler.request();
  }

  /** Assemble the drawn tiles into the renderer's buffers and overlays. */
  rebuild() {
    const e = this.embedding;
    if (!e) return;
    const get = (column) => (t) => this.loader.get(column, t);
    const bits = (cells) => (cells.count > 0 ? get(this.sets.column(cells)) : null);
    const groups = [...this.highlights.values()].map((g) => [g.cells.kernelSet, bits(g.cells) || (() => null)]);
    const c = this.colorBy;
    const scene = assemble({
      tiles: this.drawn, counts: this.index.counts, dims: e.dims,
      positions: get(e.column), rows: get(this.rowsColumn),
      values: this.colorColumn ? get(this.colorColumn) : null,
      color: c ? { type: c.type, min: c.min, max: c.max } : { type: null },
      sets: { selected: bits(this.sets.get(SELECTION)), hidden: bits(this.sets.get(HIDDEN)), groups },
      half: e.half,
    });
    this.scene = scene;
    this.renderer.setPositions(scene.positions, scene.flags);
    this.renderer.setValues(scene.values);
    this.renderer.setOverlay("selection", scene.selected, null, 0);
    for (const g of this.highlights.values()) {
      this.renderer.setOverlay(`hl:${g.name}`, scene.groups.get(g.cells.kernelSet), parseHex(g.color).map((v) => v / 255), 10 + g.order);
    }
    this.pinDrawn();
    this.countInView();
    document.body.dataset.cellucidDrawn = String(scene.n);
    this.invalidate();
  }

  /** The cache keys the drawn tiles use: never evicted while drawn. */
  pinDrawn() {
    const keys = new Set();
    for (const column of this.requiredColumns()) for (const t of this.drawn) keys.add(this.loader.key(column, t));
    this.cache.pin(keys);
  }

  /** Cells drawn in the view (estimated from the tiles' boxes): what size and opacity follow. */
  countInView() {
    const e = this.embedding;
    if (!e || this.camera.kind === "3d" || !this.scene) { this.inView = this.scene ? this.scene.n : 0; return; }
    const v = viewBox(this.camera);
    const b = e.bounds, d = e.dims;
    let n = 0;
    for (const t of this.drawn) {
      let share = 1;
      for (let a = 0; a < Math.min(d, 2); a++) {
        const lo = b[(t * 2) * d + a], hi = b[(t * 2 + 1) * d + a];
        const over = Math.min(hi, v.max[a]) - Math.max(lo, v.min[a]);
        share *= hi > lo ? Math.max(0, Math.min(1, over / (hi - lo))) : (lo >= v.min[a] && lo <= v.max[a] ? 1 : 0);
      }
      n += share * this.index.counts[t];
    }
    this.inView = n;
  }

  // ---- drawing ---------------------------------------------------------------------------------

  invalidate() {
    super.invalidate();
    this.scheduler.request();
  }

  /** Draw, wait for the GPU, and let the budget follow the time the frame took. */
  drawNow() {
    const t0 = performance.now();
    super.drawNow();
    if (this.frames > 1) this.renderer.finish();
    const ms = performance.now() - t0;
    this.lastFrameMs = ms;
    document.body.dataset.cellucidTilesPending = String(this.scheduler.pending);
    if (this.scene && this.budget.observe(ms, this.scene.n)) {
      document.body.dataset.cellucidBudget = String(this.budget.value);
      this.scheduler.request();
    }
  }

  view() {
    return { camera: this.camera, sizePx: this.pointSize(), theme: this.theme, dim: this.selection.count > 0, alpha: this.alpha() };
  }

  /** Point diameter (CSS px) from the density of the cells drawn in view. */
  pointSize() {
    const area = this.camera.width * this.camera.height;
    const n = Math.max(1, this.inView);
    return Math.min(defaults.maxPointPx, Math.max(defaults.minPointPx, defaults.pointDensity * Math.sqrt(area / n)));
  }

  /** Opacity from how much of the view the drawn points would cover (2D; opaque in 3D). */
  alpha() {
    if (this.camera.kind === "3d") return 1;
    const r = this.pointSize() / 2;
    const covered = (Math.max(1, this.inView) * Math.PI * r * r) / (this.camera.width * this.camera.height);
    return Math.max(defaults.minAlpha, Math.min(1, defaults.targetCoverage / covered));
  }

  // ---- embedding and camera ----------------------------------------------------------------------

  async tileBounds(name, version) {
    const key = `${name}|${version}`;
    if (!this.boundsCache.has(key)) this.boundsCache.set(key, this.client.bounds(name));
    try {
      return await this.boundsCache.get(key);
    } catch (err) {
      this.boundsCache.delete(key);
      throw err;
    }
  }

  /** Show embedding `name`: its tile boxes and the coarsest level first; the camera fits it. */
  async setEmbedding(name) {
    const meta = this.manifest.embeddings.find((e) => e.name === name);
    if (!meta) throw new Error(`unknown embedding ${name}; known: ${this.manifest.embeddings.map((e) => e.name).join(", ")}`);
    const ticket = (this.embeddingTicket = (this.embeddingTicket || 0) + 1);
    const version = versionOf(meta), dims = meta.dims;
    const column = positionColumn(this.client, this.index.counts, name, version, dims);
    const first = levelTileList(this.index, 0);
    const [bounds] = await Promise.all([this.tileBounds(name, version), this.loader.ensure(column, first), this.loader.ensure(this.rowsColumn, first)]);
    if (ticket !== this.embeddingTicket) return;
    const { min, max, half } = embeddingExtent(meta);
    this.embedding = { name, title: titleOf(meta), version, dims, min, max, half, bounds, column };
    this.useCamera(dims);
    this.drawn = first;
    this.redraw();
    if (dims === 3) this.embedding.radius = extentRadius(this.scene.positions, this.scene.flags, FLAG_INVALID, min, max);
    this.resetCamera();
    this.changed("embedding");
  }

  /** Fit the view: to the embedding, or (cells hidden) to the cells not hidden. */
  resetCamera() {
    const e = this.embedding;
    if (!e) return;
    this.cameraTouched = false;
    if (this.sets.get(HIDDEN).count > 0) {
      this.fitVisible().catch((err) => this.problem(err));
      return;
    }
    this.fitTo(e.min, e.max, e.radius);
  }

  fitTo(min, max, radius) {
    this.camera.fit(min, max, radius);
    if (this.camera.kind === "3d" && this.scene) this.camera.fitProjected(this.scene.positions, this.scene.flags, FLAGS_NOT_DRAWN);
    this.homePixelsPerUnit = this.camera.pixelsPerUnit();
    this.countInView();
    this.invalidate();
    this.changed("camera");
  }

  /** Fit the cells that are not hidden (their extent, from the kernel). */
  async fitVisible() {
    const e = this.embedding;
    const ext = await this.client.extent(e.name);
    if (e !== this.embedding) return;
    if (!ext.min) { this.fitTo(e.min, e.max, e.radius); return; }
    const lo = ext.min.slice(), hi = ext.max.slice();
    if (e.dims === 1) { lo.push(-e.half); hi.push(e.half); }
    const { min, max } = padBounds(lo, hi, e.min, e.max);
    const radius = e.dims === 3 ? Math.hypot(...min.map((v, i) => (max[i] - v) / 2)) : undefined;
    this.fitTo(min, max, radius);
  }

  /** The drawn vertex of obs row `cell` (-1 when it is not drawn). */
  vertexOf(cell) {
    if (!this.scene) return -1;
    if (this.lastPick.cell === cell && this.scene.rows[this.lastPick.vertex] === cell) return this.lastPick.vertex;
    return vertexOf(this.scene.rows, cell);
  }

  /** Data coordinates {x, y, z} of a drawn cell (z 0 below 3D; NaN when it is not drawn). */
  position(cell) {
    const v = this.vertexOf(cell), d = this.embedding.dims, p = this.scene.positions;
    if (v < 0) return { x: NaN, y: NaN, z: NaN };
    return { x: p[v * 3], y: d > 1 ? p[v * 3 + 1] : 0, z: d > 2 ? p[v * 3 + 2] : 0 };
  }

  /** Screen position (CSS px) of a drawn cell. */
  screenOf(cell) {
    const v = this.vertexOf(cell), p = this.scene.positions;
    if (v < 0) return { x: NaN, y: NaN };
    return this.camera.project([p[v * 3], p[v * 3 + 1], p[v * 3 + 2]]);
  }

  /** The drawn cell under (sx, sy), or -1. */
  pick(sx, sy) {
    const vertex = super.pick(sx, sy);
    if (vertex < 0 || !this.scene) return -1;
    const cell = this.scene.rows[vertex];
    this.lastPick = { cell, vertex };
    return cell;
  }

  // ---- colour ---------------------------------------------------------------------------------

  /** Fetch the drawn tiles' values of `field`; resolves to a function that shows them. */
  async fetchColor(field, kind, layer) {
    const ticket = (this.colorTicket = (this.colorTicket || 0) + 1);
    const obs = this.manifest.obs.find((o) => o.name === field);
    if (!kind) kind = obs ? "obs" : "gene";
    if (kind === "obs" && !obs) throw new Error(`unknown obs column ${field}`);
    if (kind === "obs" && obs.kind === "uncolorable") throw new Error(`${field} cannot be coloured: ${obs.reason || "no colour mapping"}`);
    const column = colorColumn(this.client, this.index.counts, { field, kind, layer, meta: obs });
    if (this.colorColumn && this.colorColumn.key === column.key) column.extent = this.colorColumn.extent;
    const tiles = this.drawn.length ? this.drawn : levelTileList(this.index, 0);
    await this.loader.ensure(column, tiles);
    const spec = colorSpec({ field, kind, layer, meta: obs, column, defaultLayer: this.manifest.default_layer });
    return () => {
      if (ticket !== this.colorTicket) return;
      this.showColor(spec);
      this.changed("color");
    };
  }

  /** Show a colouring (`colorSpec`): its lookup texture, its values in the drawn cells. */
  showColor(spec) {
    if (spec.type === "categorical") {
      const lut = categoryLUT(spec.colors);
      this.renderer.setLUT(lut.data, lut.width, lut.height, 0);
    } else {
      this.renderer.setLUT(colormapRGBA(this.colormap), 256, 1, 1);
    }
    const { column, ...shown } = spec;
    this.colorColumn = column;
    this.colorBy = { ...shown, valueAt: (cell) => this.valueAt(cell) };
    this.redraw();
  }

  /** The raw value (code or number) of the colouring in a drawn cell. */
  valueAt(cell) {
    const v = this.vertexOf(cell);
    if (v < 0 || !this.colorColumn) return NaN;
    const i = this.scene.tileStarts.findLastIndex((s) => s <= v);
    const values = this.loader.get(this.colorColumn, this.drawn[i]);
    return values ? values[v - this.scene.tileStarts[i]] : NaN;
  }

  applyUniform() {
    this.colorTicket = (this.colorTicket || 0) + 1;
    const lut = categoryLUT([appDefaults.uniformColor]);
    this.renderer.setLUT(lut.data, lut.width, lut.height, 0);
    this.colorColumn = null;
    this.colorBy = null;
    this.redraw();
    this.changed("color");
  }

  // ---- selections, groups, hidden cells: sets the kernel holds -----------------------------------

  /** Page selections are steps the kernel resolves; the steps' cells are not needed here. */
  categoryCells() {
    return null;
  }

  visibleOnly(cells) {
    return cells;
  }

  /**
   * Post a selection step (the kernel resolves it over every cell), then show the selection.
   * Resolves once the new selection is drawn.
   */
  select(_step, { source, mode = "replace", extra = {}, emit = true }) {
    if (!emit) return Promise.resolve(this.selection);
    return this.bridge.send("selection", { source, mode, ...extra })
      .then((delivered) => (delivered ? this.refreshSet(SELECTION) : this.selection))
      .catch((err) => { this.problem(err); return this.selection; });
  }

  /**
   * Read set `name`'s version, count and bits for the drawn tiles, and draw it. Returns its
   * KernelCells.
   */
  async refreshSet(name) {
    const tiles = ascending(this.drawn.length ? this.drawn : levelTileList(this.index, 0));
    const { array, version, count } = await this.client.mask(name, tiles);
    const cells = this.sets.note({ name, version, count });
    this.loader.store(this.sets.column(cells), tiles, array);
    if (name === SELECTION) {
      this.selection = this.sets.get(SELECTION);
      this.changed("selection");
    }
    for (const g of this.highlights.values()) if (g.cells.kernelSet === name) g.cells = cells;
    this.redraw();
    return cells;
  }

  /** The kernel changed sets (`masks` command, or a newer version seen): read the ones shown. */
  async updateSets(list) {
    for (const info of list || []) {
      const held = this.sets.get(info.name);
      const shown = info.name === SELECTION || info.name === HIDDEN || [...this.highlights.values()].some((g) => g.cells.kernelSet === info.name);
      if (shown && held.olderThan(info)) await this.refreshSet(info.name);
    }
  }

  /** Add or replace highlight group `name`: from a set the kernel holds, or cells to keep there. */
  async setHighlight(name, color, cells) {
    const set = groupSet(name);
    if (!(cells instanceof KernelCells && cells.kernelSet === set)) {
      const delivered = await this.bridge.send("mask", { name: set, color, cells });
      if (!delivered) throw new Error(`Python did not keep the highlight group ${name}`);
    }
    const order = this.highlights.has(name) ? this.highlights.get(name).order : this.highlights.size + 1;
    this.highlights.set(name, { name, color, cells: this.sets.get(set), order });
    await this.refreshSet(set);
    this.changed("highlights");
  }

  /** Remove highlight group `name` (every group when null); the kernel drops its sets too. */
  clearHighlights(name) {
    for (const nm of name == null ? [...this.highlights.keys()] : [name]) {
      this.sets.forget(groupSet(nm));
      this.bridge.send("mask", { name: groupSet(nm), cells: null });
    }
    super.clearHighlights(name);
  }

  /** Keep the selection in the kernel as the saved reference (compare); returns its cells. */
  keepSelection() {
    this.bridge.send("mask", { name: SAVED, cells: this.selection });
    return new KernelCells(SAVED, this.selection.version, this.selection.count);
  }

  /** KNN preview: the drawn cells within `hops` of `seed` (bits of the drawn tiles). */
  async knnPreview(seed, hops) {
    const drawn = this.drawn, scene = this.scene;
    if (!drawn.length || !scene) return { vertices: new Uint32Array(0) };
    const bits = await this.client.knn(seed, hops, ascending(drawn));
    return { vertices: verticesFromBits(bits, drawn, this.index.counts, scene.tileStarts) };
  }

  setPreview(cells) {
    const rgb = this.theme === "light" ? [0, 0, 0] : [1, 1, 1];
    this.renderer.setOverlay("preview", cells ? cells.vertices : null, rgb, 1000);
    this.invalidate();
  }

  /** Hidden cells changed in the kernel (`setVisibility`): draw them. */
  async setVisibility(cells) {
    if (cells instanceof KernelCells) this.sets.note({ name: HIDDEN, version: cells.version, count: cells.count });
    await this.refreshSet(HIDDEN);
    this.changed("visibility");
  }

  async showOnly(cells) {
    await this.setVisibility(cells);
    this.resetCamera();
  }

  async showAll(cells) {
    await this.setVisibility(cells);
    this.resetCamera();
  }

  hiddenCount() {
    return this.sets.get(HIDDEN).count;
  }

  /** The hidden cells, by the kernel's set (a session names it by reference). */
  hiddenCells() {
    const hidden = this.sets.get(HIDDEN);
    return hidden.count > 0 ? hidden : new Uint32Array(0);
  }
}

/** `tiles` sorted ascending (a copy): how the tile API orders a reply. */
export function ascending(tiles) {
  return [...tiles].sort((a, b) => a - b);
}

/**
 * Vertices of the drawn cells whose bit is set in `bits`, a reply packed per tile in ascending
 * tile order; `drawn` is the drawn tiles in draw order, `tileStarts` their first vertices.
 */
export function verticesFromBits(bits, drawn, counts, tileStarts) {
  const offset = new Map();
  let at = 0;
  for (const t of ascending(drawn)) { offset.set(t, at); at += (counts[t] + 7) >> 3; }
  const out = [];
  drawn.forEach((t, i) => {
    const base = offset.get(t);
    for (let j = 0; j < counts[t]; j++) if ((bits[base + (j >> 3)] >> (j & 7)) & 1) out.push(tileStarts[i] + j);
  });
  return Uint32Array.from(out).sort();
}

/** The box a tiled embedding fits (from the manifest) and, in 1D, the jitter's half height. */
export function embeddingExtent(meta) {
  const d = meta.dims;
  const lo = [], hi = [];
  for (let a = 0; a < d; a++) {
    const l = meta.min && Number.isFinite(meta.min[a]) ? meta.min[a] : 0;
    const h = meta.max && Number.isFinite(meta.max[a]) ? meta.max[a] : 1;
    lo.push(l); hi.push(h);
  }
  const half = jitterHalf(lo[0], hi[0]);
  if (d === 1) { lo.push(-half); hi.push(half); }
  return { min: lo, max: hi, half };
}
