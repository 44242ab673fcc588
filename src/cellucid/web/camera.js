// Cameras: an orthographic pan/zoom camera for 1D/2D and an orbit camera for 3D.
// Screen coordinates are CSS pixels from the canvas's top-left corner, y down.
// Both expose the same surface: resize, fit, viewProjection, project, unproject, pan, zoomAt,
// keepView, state. Each remembers the extent of data it was last fitted or zoomed to show, so
// that `keepView` after a resize (a panel docking beside the view) shows that extent again.

export const defaults = {
  fitPadding: 0.06,
  fovY: Math.PI / 4,
  rotateSpeed: 0.008,
  minScale: 1e-9,
  maxPitch: 1.55,
  initialYaw: 0.6,
  initialPitch: 0.35,
  fitSamples: 20000,
  fitSpan: 0.9,
};

/** Column-major 4×4 product a·b. */
export function multiply(a, b) {
  const out = new Float32Array(16);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
      out[c * 4 + r] = s;
    }
  }
  return out;
}

/**
 * Clip coordinates [x, y, z, w] of data point (x, y, z) under the column-major matrix `m` (what
 * the vertex shader computes), written into `out`. The one place this product is written out.
 */
export function toClip(m, x, y, z, out = [0, 0, 0, 0]) {
  out[0] = m[0] * x + m[4] * y + m[8] * z + m[12];
  out[1] = m[1] * x + m[5] * y + m[9] * z + m[13];
  out[2] = m[2] * x + m[6] * y + m[10] * z + m[14];
  out[3] = m[3] * x + m[7] * y + m[11] * z + m[15];
  return out;
}

/** Screen position {x, y} (CSS px, y down) of clip coordinates `c` in a `width`×`height` view, into `out`. */
export function clipToScreen(c, width, height, out = { x: 0, y: 0 }) {
  out.x = ((c[0] / c[3] + 1) / 2) * width;
  out.y = ((1 - c[1] / c[3]) / 2) * height;
  return out;
}

const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const normalize = (a) => { const l = Math.hypot(a[0], a[1], a[2]) || 1; return [a[0] / l, a[1] / l, a[2] / l]; };

/** Whether state `s` says it was seen in a view of another size than `camera`'s. */
function seenElsewhere(camera, s) {
  return s.width > 0 && s.height > 0 && (s.width !== camera.width || s.height !== camera.height);
}

/** What both cameras share: the kind, the view size in CSS px, and the fitted bounds (`home`). */
class CameraBase {
  constructor(kind) {
    this.kind = kind;
    this.width = 1;
    this.height = 1;
    this.home = null;
  }

  resize(width, height) {
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
  }
}

/** Orthographic pan/zoom camera: data point (cx, cy) at the canvas centre, `scale` px per data unit. */
export class Camera2D extends CameraBase {
  constructor() {
    super("2d");
    this.cx = 0;
    this.cy = 0;
    this.scale = 1;
  }

  /** Fit the bounds [min, max] (per axis) into the view; remembered for `reset`. */
  fit(min, max) {
    const rx = Math.max(max[0] - min[0], 1e-12);
    const ry = Math.max((max[1] ?? 0) - (min[1] ?? 0), 1e-12);
    const pad = 1 + 2 * defaults.fitPadding;
    this.cx = (min[0] + max[0]) / 2;
    this.cy = ((min[1] ?? 0) + (max[1] ?? 0)) / 2;
    this.scale = Math.min(this.width / (rx * pad), this.height / (ry * pad));
    this.home = { min: min.slice(), max: max.slice() };
    this.remember();
  }

  /** Remember the data extent shown now, for `keepView`. */
  remember() {
    this.shown = { w: this.width / this.scale, h: this.height / this.scale };
  }

  /** After a resize: the remembered extent, whole, around the same centre (zoomed out to fit). */
  keepView() {
    if (this.shown) this.scale = Math.max(defaults.minScale, Math.min(this.width / this.shown.w, this.height / this.shown.h));
  }

  reset() {
    if (this.home) this.fit(this.home.min, this.home.max);
  }

  viewProjection() {
    const m = new Float32Array(16);
    const sx = (2 * this.scale) / this.width, sy = (2 * this.scale) / this.height;
    m[0] = sx;
    m[5] = sy;
    m[10] = 0;
    m[12] = -this.cx * sx;
    m[13] = -this.cy * sy;
    m[15] = 1;
    return m;
  }

  /** Screen position {x, y, depth} of a data point. */
  project(p) {
    return {
      x: this.width / 2 + (p[0] - this.cx) * this.scale,
      y: this.height / 2 - ((p[1] ?? 0) - this.cy) * this.scale,
      depth: 0,
    };
  }

  /** Data point [x, y, 0] under a screen position. */
  unproject(sx, sy) {
    return [this.cx + (sx - this.width / 2) / this.scale, this.cy - (sy - this.height / 2) / this.scale, 0];
  }

  /** Screen pixels per data unit (at the focal plane). */
  pixelsPerUnit() {
    return this.scale;
  }

  pan(dx, dy) {
    this.cx -= dx / this.scale;
    this.cy += dy / this.scale;
  }

  /** Zoom by `factor` keeping the data point under (sx, sy) fixed. */
  zoomAt(sx, sy, factor) {
    const p = this.unproject(sx, sy);
    this.scale = Math.max(defaults.minScale, this.scale * factor);
    this.cx = p[0] - (sx - this.width / 2) / this.scale;
    this.cy = p[1] + (sy - this.height / 2) / this.scale;
    this.remember();
  }

  rotate() {}

  state() {
    return { kind: this.kind, cx: this.cx, cy: this.cy, scale: this.scale };
  }

  /** Take state `s`; saved at another `width`×`height`, the view shows the extent it showed. */
  setState(s) {
    if (s && s.kind === this.kind) {
      Object.assign(this, { cx: s.cx, cy: s.cy, scale: s.scale });
      this.remember();
      if (seenElsewhere(this, s)) {
        this.shown = { w: s.width / s.scale, h: s.height / s.scale };
        this.keepView();
      }
    }
  }
}

/** Orbit camera: looks at `target` from `distance`, at angles `yaw` (about +y) and `pitch`. */
export class OrbitCamera extends CameraBase {
  constructor() {
    super("3d");
    this.target = [0, 0, 0];
    this.distance = 1;
    this.yaw = defaults.initialYaw;
    this.pitch = defaults.initialPitch;
    this.radius = 1;
  }

  /** Fit the bounds; `radius` (the data's extent around the box centre) tightens the fit. */
  fit(min, max, radius) {
    this.target = [0, 1, 2].map((i) => ((min[i] ?? 0) + (max[i] ?? 0)) / 2);
    const boxRadius = Math.hypot(...[0, 1, 2].map((i) => ((max[i] ?? 0) - (min[i] ?? 0)) / 2));
    this.radius = Math.max(1e-9, radius && radius < boxRadius ? radius : boxRadius);
    const aspect = this.width / this.height;
    const half = Math.min(defaults.fovY / 2, Math.atan(Math.tan(defaults.fovY / 2) * aspect));
    this.distance = (this.radius / Math.sin(half)) * (1 + defaults.fitPadding);
    this.yaw = defaults.initialYaw;
    this.pitch = defaults.initialPitch;
    this.home = { min: min.slice(), max: max.slice(), radius };
    this.remember();
  }

  /** Remember the extent shown now (distance and aspect), for `keepView`. */
  remember() {
    this.shown = { distance: this.distance, aspect: this.width / this.height };
  }

  /** After a resize: back off so the remembered extent fits across the new width as well. */
  keepView() {
    if (this.shown) this.distance = this.shown.distance * Math.max(1, this.shown.aspect / (this.width / this.height));
  }

  /**
   * Move in or out so the projected points (n×3 `positions`, sampled; those whose flag has any of
   * `skipBits` left out) span ~90% of the view. Becomes the home distance.
   */
  fitProjected(positions, flags, skipBits) {
    const step = Math.max(1, Math.floor(flags.length / defaults.fitSamples));
    const c = [0, 0, 0, 0];
    for (let iter = 0; iter < 3; iter++) {
      const m = this.viewProjection();
      let extent = 0;
      for (let i = 0; i < flags.length; i += step) {
        if (flags[i] & skipBits) continue;
        toClip(m, positions[i * 3], positions[i * 3 + 1], positions[i * 3 + 2], c);
        if (c[3] <= 0) { extent = 0; break; }
        extent = Math.max(extent, Math.abs(c[0] / c[3]), Math.abs(c[1] / c[3]));
      }
      if (!(extent > 0)) return;
      this.distance *= Math.max(0.5, Math.min(1, extent / defaults.fitSpan));
    }
    this.home.distance = this.distance;
    this.remember();
  }

  reset() {
    if (!this.home) return;
    const distance = this.home.distance;
    this.fit(this.home.min, this.home.max, this.home.radius);
    if (distance) { this.distance = distance; this.home.distance = distance; }
    this.remember();
  }

  /** Camera basis: eye position, right, up and forward unit vectors. */
  basis() {
    const cp = Math.cos(this.pitch);
    const dir = [cp * Math.sin(this.yaw), Math.sin(this.pitch), cp * Math.cos(this.yaw)];
    const eye = this.target.map((t, i) => t + dir[i] * this.distance);
    const forward = normalize(sub(this.target, eye));
    const right = normalize(cross(forward, [0, 1, 0]));
    const up = cross(right, forward);
    return { eye, right, up, forward };
  }

  viewProjection() {
    const { eye, right, up, forward } = this.basis();
    const view = new Float32Array([
      right[0], up[0], -forward[0], 0,
      right[1], up[1], -forward[1], 0,
      right[2], up[2], -forward[2], 0,
      -dot(right, eye), -dot(up, eye), dot(forward, eye), 1,
    ]);
    const near = Math.max(this.distance - this.radius * 4, this.distance * 1e-3);
    const far = this.distance + this.radius * 4;
    const f = 1 / Math.tan(defaults.fovY / 2);
    const aspect = this.width / this.height;
    const proj = new Float32Array(16);
    proj[0] = f / aspect;
    proj[5] = f;
    proj[10] = (far + near) / (near - far);
    proj[11] = -1;
    proj[14] = (2 * far * near) / (near - far);
    return multiply(proj, view);
  }

  /** Screen position {x, y, depth} of a data point; depth is the clip w (distance along the view). */
  project(p) {
    const c = toClip(this.viewProjection(), p[0], p[1] ?? 0, p[2] ?? 0);
    const s = clipToScreen(c, this.width, this.height);
    return { x: s.x, y: s.y, depth: c[3] };
  }

  /** Data point on the focal plane (through the target, facing the camera) under (sx, sy). */
  unproject(sx, sy) {
    const { right, up } = this.basis();
    const ppu = this.pixelsPerUnit();
    const dx = (sx - this.width / 2) / ppu, dy = -(sy - this.height / 2) / ppu;
    return [0, 1, 2].map((i) => this.target[i] + right[i] * dx + up[i] * dy);
  }

  pixelsPerUnit() {
    return this.height / (2 * this.distance * Math.tan(defaults.fovY / 2));
  }

  pan(dx, dy) {
    const { right, up } = this.basis();
    const ppu = this.pixelsPerUnit();
    this.target = this.target.map((t, i) => t - (right[i] * dx) / ppu + (up[i] * dy) / ppu);
  }

  /** Zoom by `factor` towards the focal-plane point under (sx, sy). */
  zoomAt(sx, sy, factor) {
    const p = this.unproject(sx, sy);
    this.target = this.target.map((t, i) => p[i] + (t - p[i]) / factor);
    this.distance = Math.max(this.radius * 1e-4, this.distance / factor);
    this.remember();
  }

  rotate(dx, dy) {
    this.yaw -= dx * defaults.rotateSpeed;
    this.pitch = Math.max(-defaults.maxPitch, Math.min(defaults.maxPitch, this.pitch + dy * defaults.rotateSpeed));
  }

  state() {
    return { kind: this.kind, target: this.target.slice(), distance: this.distance, yaw: this.yaw, pitch: this.pitch };
  }

  /** Take state `s`; saved at another `width`×`height`, the view shows the extent it showed. */
  setState(s) {
    if (s && s.kind === this.kind) {
      Object.assign(this, { target: s.target.slice(), distance: s.distance, yaw: s.yaw, pitch: s.pitch });
      this.remember();
      if (seenElsewhere(this, s)) {
        this.shown = { distance: s.distance, aspect: s.width / s.height };
        this.keepView();
      }
    }
  }
}

/**
 * Largest distance of a point (n×3 `positions`; those whose flag has any of `skipBits` left out)
 * from the centre of the box [min, max]: the radius a tight 3D fit needs.
 */
export function extentRadius(positions, flags, skipBits, min, max) {
  const c = [0, 1, 2].map((i) => (min[i] + max[i]) / 2);
  let r2 = 0;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] & skipBits) continue;
    const dx = positions[i * 3] - c[0], dy = positions[i * 3 + 1] - c[1], dz = positions[i * 3 + 2] - c[2];
    const d = dx * dx + dy * dy + dz * dz;
    if (d > r2) r2 = d;
  }
  return Math.sqrt(r2);
}

/** The camera for an embedding of `dims` dimensions. */
export function cameraFor(dims) {
  return dims === 3 ? new OrbitCamera() : new Camera2D();
}
