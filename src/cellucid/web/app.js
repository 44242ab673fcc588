// The viewer's state and the operations on it: embedding, colour, selection, highlight groups,
// visibility, camera and drawing. UI modules and the command handlers call these methods.

import { Renderer } from "./renderer.js";
import { cameraFor, extentRadius } from "./camera.js";
import { toPositions } from "./data.js";
import { FLAG_HIDDEN, FLAG_INVALID, FLAG_SELECTED, FLAGS_NOT_DRAWN, MISSING_CODE } from "./constants.js";
import { categoryColors, categoryLUT, colormapRGBA, codesToValues, normalizeContinuous, parseHex, defaults as colorDefaults } from "./colors.js";
import { combine, filterVisible } from "./selection.js";
import { ValueCache } from "./columns.js";
import { titleOf, versionOf } from "./manifest.js";
import { countFlagged, onlyCells, padBounds, visibleBounds } from "./visibility.js";

export const defaults = {
  pointDensity: 0.9,
  minPointPx: 1.25,
  maxBasePointPx: 7,
  maxPointPx: 28,
  // The user's point size setting: a factor on the automatic size, within these bounds.
  minPointScale: 0.25,
  maxPointScale: 4,
  pickRadiusPx: 5,
  fallbackFrameMs: 120,
  uniformColor: "#3b82c4",
};

export class App {
  constructor({ canvas, data, bridge, ui }) {
    this.canvas = canvas;
    this.data = data;
    this.bridge = bridge;
    this.ui = ui;
    this.renderer = new Renderer(canvas);
    this.theme = matchMedia && matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
    this.manifest = null;
    this.n = 0;
    this.embedding = null;
    this.camera = cameraFor(2);
    this.flags = new Uint8Array(0);
    this.selection = new Uint32Array(0);
    this.highlights = new Map();
    this.colorBy = null;
    this.colormap = colorDefaults.colormap;
    this.frameScheduled = false;
    // While starting, frames wait for the colours: the first frame drawn is the real one.
    this.starting = true;
    this.frames = 0;
    this.lastFrameMs = 0;
    this.listeners = new Set();
    this.values = new ValueCache();
    this.frozen = false;
    this.cameraTouched = false;
    this.pointScale = 1;
  }

  /** Take the dataset's manifest at start: its names, and the number of cells. */
  useManifest(manifest) {
    this.manifest = manifest;
    this.n = manifest.n_cells;
  }

  /** A newer manifest of the same cells (the live loop); the menus rebuild on "manifest". */
  replaceManifest(manifest) {
    this.manifest = manifest;
    this.changed("manifest");
  }

  /** The first frame is drawn: from now on every change redraws. */
  finishStarting() {
    this.starting = false;
  }

  /** Take no more input from the user (the viewer was stopped from Python). */
  freeze() {
    this.frozen = true;
  }

  /**
   * Subscribe to state changes (`kind`: embedding, color, selection, highlights, camera,
   * visibility, manifest, theme).
   */
  onChange(fn) {
    this.listeners.add(fn);
  }

  changed(kind) {
    for (const fn of this.listeners) fn(kind);
  }

  // ---- drawing -------------------------------------------------------------------------------

  /** Ask for a redraw: on the next animation frame, or a timer when frames are throttled. */
  invalidate() {
    if (this.frameScheduled || this.starting) return;
    this.frameScheduled = true;
    const run = () => {
      if (!this.frameScheduled) return;
      this.drawNow();
    };
    requestAnimationFrame(run);
    setTimeout(run, defaults.fallbackFrameMs);
  }

  drawNow() {
    this.frameScheduled = false;
    const t0 = performance.now();
    this.renderer.draw(this.view());
    this.frames += 1;
    if (this.frames === 1) {
      // The first frame is finished on the GPU before `ready` is posted: a one-pixel read waits for it.
      this.renderer.finish();
      performance.mark("cellucid-first-frame");
    }
    this.lastFrameMs = performance.now() - t0;
  }

  view() {
    return { camera: this.camera, sizePx: this.pointSize(), theme: this.theme, dim: this.selection.length > 0 };
  }

  /** Point diameter in CSS px: the automatic size times the user's setting (`pointScale`). */
  pointSize() {
    return this.autoPointSize() * this.pointScale;
  }

  /** The automatic point diameter in CSS px: from the density of cells on screen, growing gently with zoom. */
  autoPointSize() {
    if (!this.n) return 2;
    const area = this.camera.width * this.camera.height;
    const base = Math.min(defaults.maxBasePointPx, Math.max(defaults.minPointPx, defaults.pointDensity * Math.sqrt(area / this.n)));
    const home = this.homePixelsPerUnit || this.camera.pixelsPerUnit();
    const zoom = Math.max(0.25, Math.min(16, this.camera.pixelsPerUnit() / home));
    return Math.min(defaults.maxPointPx, base * Math.sqrt(zoom));
  }

  resize(cssWidth, cssHeight, dpr) {
    this.camera.resize(cssWidth, cssHeight);
    this.renderer.resize(cssWidth, cssHeight, dpr);
    // Until the user moves the camera, the view keeps fitting the data as the frame resizes;
    // after, it keeps showing what the user chose to look at (zooming out when the frame shrinks).
    if (!this.cameraTouched && this.embedding) this.resetCamera();
    else this.camera.keepView();
    this.invalidate();
  }

  setTheme(theme) {
    this.theme = theme;
    document.documentElement.dataset.theme = theme;
    this.invalidate();
    this.changed("theme");
  }

  // ---- embedding and camera ----------------------------------------------------------------------

  /**
   * Load (or take from the values cache, by name and version) and show embedding `name`; the
   * camera fits it. Throws for an unknown name.
   */
  async setEmbedding(name) {
    const meta = this.manifest.embeddings.find((e) => e.name === name);
    if (!meta) throw new Error(`unknown embedding ${name}; known: ${this.manifest.embeddings.map((e) => e.name).join(", ")}`);
    const ticket = (this.embeddingTicket = (this.embeddingTicket || 0) + 1);
    const version = versionOf(meta);
    const coords = await this.values.get("embedding", name, version, () => this.data.embedding(name, version));
    if (ticket !== this.embeddingTicket) return;
    const dims = meta.dims;
    const { positions, invalid, min, max } = toPositions(coords, dims);
    const hidden = this.flags.length === invalid.length ? this.flags : new Uint8Array(invalid.length);
    for (let i = 0; i < invalid.length; i++) invalid[i] |= hidden[i] & (FLAG_HIDDEN | FLAG_SELECTED);
    this.embedding = { name, title: titleOf(meta), version, dims, coords, positions, min, max, radius: dims === 3 ? extentRadius(positions, invalid, FLAG_INVALID, min, max) : undefined };
    this.flags = invalid;
    this.useCamera(dims);
    this.renderer.setPositions(positions, this.flags);
    this.resetCamera();
    this.changed("embedding");
  }

  /** A new camera for `dims` dimensions, of the current one's size. */
  useCamera(dims) {
    const { width, height } = this.camera;
    this.camera = cameraFor(dims);
    this.camera.resize(width, height);
  }

  /**
   * Move the camera by the user's hand (or to a view the user saved): `move(camera)` pans,
   * rotates, zooms or sets it. From then on the view keeps what the user looks at instead of
   * fitting the data; it redraws.
   */
  moveCamera(move) {
    move(this.camera);
    this.cameraTouched = true;
    this.invalidate();
  }

  /** Fit the view to the cells drawn: all valid ones, or the visible ones while some are hidden. */
  resetCamera() {
    const e = this.embedding;
    if (!e) return;
    this.cameraTouched = false;
    const f = this.fitBounds();
    this.camera.fit(f.min, f.max, f.radius);
    if (this.camera.kind === "3d") this.camera.fitProjected(e.positions, this.flags, f.skipBits);
    this.homePixelsPerUnit = this.camera.pixelsPerUnit();
    this.invalidate();
    this.changed("camera");
  }

  /**
   * Show camera state `s` (a saved view's: with the `width` and `height` it was seen at and its
   * `homePixelsPerUnit`, which sets the point size); a state of another kind of camera, or none,
   * fits the data instead.
   */
  restoreCamera(s) {
    if (!s || s.kind !== this.camera.kind) {
      this.resetCamera();
      return;
    }
    this.moveCamera((c) => c.setState(s));
    if (s.homePixelsPerUnit > 0) this.homePixelsPerUnit = s.homePixelsPerUnit;
    this.changed("camera");
  }

  /** What the view fits: {min, max, radius (3D), skipBits} of the valid cells, or of the visible ones. */
  fitBounds() {
    const e = this.embedding;
    const all = { min: e.min, max: e.max, radius: e.radius, skipBits: FLAG_INVALID };
    if (!countFlagged(this.flags, FLAG_HIDDEN)) return all;
    const seen = visibleBounds(e.positions, this.flags, FLAGS_NOT_DRAWN, e.dims);
    if (!seen) return all;
    const { min, max } = padBounds(seen.min, seen.max, e.min, e.max);
    const radius = e.dims === 3 ? extentRadius(e.positions, this.flags, FLAGS_NOT_DRAWN, min, max) : undefined;
    return { min, max, radius, skipBits: FLAGS_NOT_DRAWN };
  }

  /** Data coordinates {x, y, z} of a cell in the embedding shown (z 0 below 3D). */
  position(cell) {
    const e = this.embedding;
    const c = e.coords, d = e.dims;
    return { x: c[cell * d], y: d > 1 ? c[cell * d + 1] : 0, z: d > 2 ? c[cell * d + 2] : 0 };
  }

  /** Screen position (CSS px) of a cell: what the GPU draws. */
  screenOf(cell) {
    const p = this.embedding.positions;
    return this.camera.project([p[cell * 3], p[cell * 3 + 1], p[cell * 3 + 2]]);
  }

  /** Cell under (sx, sy), or -1 (GPU id buffer). */
  pick(sx, sy) {
    return this.renderer.pick(this.view(), sx, sy, Math.max(defaults.pickRadiusPx, this.pointSize() / 2 + 1));
  }

  // ---- colour ---------------------------------------------------------------------------------

  /**
   * Colour by an obs column, Python-pushed ones included (`kind` "obs"), or a gene ("gene"); kind
   * is guessed when absent. Obs values come from the values cache by (name, version). A gene's
   * values come from matrix `layer` (`.raw`, `X`, a layer; default: the default layer).
   */
  async setColorBy(field, kind, layer) {
    (await this.fetchColor(field, kind, layer))();
  }

  /**
   * Fetch what colouring by `field` needs; resolves to a function that applies it (so the fetch
   * can overlap other loading). Throws for an unknown or uncolourable field.
   */
  async fetchColor(field, kind, layer) {
    const ticket = (this.colorTicket = (this.colorTicket || 0) + 1);
    const obs = this.manifest.obs.find((o) => o.name === field);
    if (!kind) kind = obs ? "obs" : "gene";
    let apply;
    if (kind === "obs") {
      if (!obs) throw new Error(`unknown obs column ${field}`);
      if (obs.kind === "uncolorable") throw new Error(`${field} cannot be coloured: ${obs.reason || "no colour mapping"}`);
      const version = versionOf(obs), title = titleOf(obs);
      const raw = await this.values.get("obs", field, version, () => this.data.obs(field, version));
      apply = obs.kind === "continuous"
        ? () => this.applyContinuous({ field, kind, title, version, raw, min: obs.min, max: obs.max })
        : () => this.applyCategorical({ field, kind, title, version, codes: raw, meta: obs });
    } else {
      const g = await this.data.gene(field, layer);
      const title = layer && layer !== this.manifest.default_layer ? `${field} (${layer === ".raw" ? ".raw" : layer})` : field;
      apply = () => this.applyContinuous({ field, kind, title, version: null, raw: g.values, min: g.min, max: g.max, layer });
    }
    return () => {
      // A later request (the user picked again meanwhile) wins.
      if (ticket !== this.colorTicket) return;
      apply();
      this.changed("color");
    };
  }

  /** One colour for every cell (no colour-by field). */
  applyUniform() {
    this.colorTicket = (this.colorTicket || 0) + 1;
    const lut = categoryLUT([defaults.uniformColor]);
    this.renderer.setLUT(lut.data, lut.width, lut.height, 0);
    this.renderer.setValues(new Float32Array(this.n));
    this.colorBy = null;
    this.invalidate();
    this.changed("color");
  }

  applyCategorical({ field, kind, title = field, version = 0, codes, meta }) {
    const categories = meta.categories || [];
    const colors = categoryColors(categories.length, meta.colors);
    let counts = meta.counts;
    if (!counts || counts.length !== categories.length) {
      counts = new Array(categories.length).fill(0);
      for (let i = 0; i < codes.length; i++) if (codes[i] !== MISSING_CODE) counts[codes[i]] += 1;
    }
    const lut = categoryLUT(colors);
    this.renderer.setLUT(lut.data, lut.width, lut.height, 0);
    this.renderer.setValues(codesToValues(codes));
    this.colorBy = { field, kind, title, version, type: "categorical", categories, colors, counts, codes };
    this.invalidate();
  }

  /** Colour by continuous values (`layer`: the matrix a gene's values were read from, if named). */
  applyContinuous({ field, kind, title = field, version = 0, raw, min, max, layer }) {
    const norm = normalizeContinuous(raw, min, max);
    this.renderer.setLUT(colormapRGBA(this.colormap), 256, 1, 1);
    this.renderer.setValues(norm.values);
    this.colorBy = { field, kind, title, version, type: "continuous", min: norm.min, max: norm.max, raw, layer };
    this.invalidate();
  }

  /**
   * The user's point size setting: `scale` times the automatic size (clamped to
   * [`minPointScale`, `maxPointScale`]; not a positive number: 1). Redraws.
   */
  setPointScale(scale) {
    const s = Number(scale);
    this.pointScale = s > 0 ? Math.min(defaults.maxPointScale, Math.max(defaults.minPointScale, s)) : 1;
    this.invalidate();
    this.changed("pointSize");
  }

  setColormap(name) {
    this.colormap = name;
    if (this.colorBy && this.colorBy.type === "continuous") {
      this.renderer.setLUT(colormapRGBA(name), 256, 1, 1);
      this.invalidate();
      this.changed("color");
    }
  }

  /** Sorted cells of category `code` of the current categorical colouring (visible ones). */
  categoryCells(code) {
    const codes = this.colorBy.codes;
    let k = 0;
    for (let i = 0; i < codes.length; i++) if (codes[i] === code) k++;
    const out = new Uint32Array(k);
    k = 0;
    for (let i = 0; i < codes.length; i++) if (codes[i] === code) out[k++] = i;
    return this.visibleOnly(out);
  }

  // ---- selection, highlights, visibility ----------------------------------------------------------

  visibleOnly(cells) {
    return filterVisible(cells, this.flags, FLAGS_NOT_DRAWN);
  }

  /**
   * Apply a selection step (`mode` replace/add/subtract) and post the `selection` event with
   * `extra` (polygon, seed, hops, …). Returns the new selection.
   */
  select(step, { source, mode = "replace", extra = {}, emit = true }) {
    const next = combine(this.selection, step, mode);
    this.setSelection(next);
    if (emit) this.bridge.send("selection", { cells: next, source, mode, ...extra });
    return next;
  }

  setSelection(cells) {
    for (let i = 0; i < this.selection.length; i++) this.flags[this.selection[i]] &= ~FLAG_SELECTED;
    for (let i = 0; i < cells.length; i++) this.flags[cells[i]] |= FLAG_SELECTED;
    this.selection = cells;
    this.renderer.setFlags(this.flags);
    this.renderer.setOverlay("selection", cells, null, 0);
    this.invalidate();
    this.changed("selection");
  }

  /** Add or replace highlight group `name` in `color` (#rrggbb). */
  setHighlight(name, color, cells) {
    const rgb = parseHex(color).map((v) => v / 255);
    this.highlights.set(name, { name, color, cells, order: this.highlights.has(name) ? this.highlights.get(name).order : this.highlights.size + 1 });
    this.renderer.setOverlay(`hl:${name}`, cells, rgb, 10 + this.highlights.get(name).order);
    this.invalidate();
    this.changed("highlights");
  }

  /** Remove highlight group `name`, or every group when `name` is null. */
  clearHighlights(name) {
    const names = name == null ? [...this.highlights.keys()] : [name];
    for (const nm of names) {
      this.highlights.delete(nm);
      this.renderer.setOverlay(`hl:${nm}`, null);
    }
    this.invalidate();
    this.changed("highlights");
  }

  /** A transient overlay for tool previews (KNN hops while dragging). */
  setPreview(cells) {
    const rgb = this.theme === "light" ? [0, 0, 0] : [1, 1, 1];
    this.renderer.setOverlay("preview", cells, rgb, 1000);
    this.invalidate();
  }

  /** Show or hide `cells` (null = all). */
  setVisibility(cells, visible) {
    const f = this.flags;
    if (cells == null) {
      for (let i = 0; i < f.length; i++) f[i] = visible ? f[i] & ~FLAG_HIDDEN : f[i] | FLAG_HIDDEN;
    } else {
      for (let k = 0; k < cells.length; k++) f[cells[k]] = visible ? f[cells[k]] & ~FLAG_HIDDEN : f[cells[k]] | FLAG_HIDDEN;
    }
    this.renderer.setFlags(f);
    this.invalidate();
    this.changed("visibility");
  }

  /** Show `cells` (sorted Uint32Array) and hide every other cell; the view fits the visible ones. */
  showOnly(cells) {
    onlyCells(this.flags, cells, FLAG_HIDDEN);
    this.renderer.setFlags(this.flags);
    this.resetCamera();
    this.changed("visibility");
  }

  /** Show every cell; the view fits them all. */
  showAll() {
    this.setVisibility(null, true);
    this.resetCamera();
  }

  hiddenCount() {
    return countFlagged(this.flags, FLAG_HIDDEN);
  }
}
