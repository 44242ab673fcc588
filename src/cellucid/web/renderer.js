// WebGL2 point renderer: per-cell position, colour value and flag buffers, a small lookup texture
// for colours, overlay index buffers (selection, highlight groups, previews) and an id pass for picking.

import { pointShaders } from "./shaders.js";

export const defaults = {
  background: { dark: [0.07, 0.075, 0.09], light: [1, 1, 1] },
  ring: { dark: [1, 1, 1], light: [0.1, 0.1, 0.1] },
  overlayScale: 1.5,
  minOverlayPx: 5,
};

function compile(gl, type, source) {
  const s = gl.createShader(type);
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(s)}`);
  return s;
}

export class Renderer {
  /** @throws Error when WebGL2 is unavailable. */
  constructor(canvas) {
    const gl = canvas.getContext("webgl2", { antialias: false, alpha: false, depth: true, premultipliedAlpha: false });
    if (!gl) throw new Error("WebGL2 is not available in this browser");
    this.gl = gl;
    this.canvas = canvas;
    this.n = 0;
    this.overlays = new Map();
    this.lutMode = 0;
    this.lutWidth = 1;
    this.idDirty = true;
    this.pickTarget = null;
    this.programs = new Map();
    this.vao = gl.createVertexArray();
    this.posBuf = gl.createBuffer();
    this.valBuf = gl.createBuffer();
    this.flagBuf = gl.createBuffer();
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 3, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.valBuf);
    gl.enableVertexAttribArray(1);
    gl.vertexAttribPointer(1, 1, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.flagBuf);
    gl.enableVertexAttribArray(2);
    gl.vertexAttribIPointer(2, 1, gl.UNSIGNED_BYTE, 0, 0);
    gl.bindVertexArray(null);
    this.lut = gl.createTexture();
    this.setLUT(new Uint8Array([128, 128, 128, 255]), 1, 1, 0);
    const range = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE);
    this.maxPointSize = range ? range[1] : 64;
    this.webglRenderer = gl.getParameter(gl.RENDERER);
  }

  /** The program for `pass` and projection, compiled on first use; {program, u (uniform locations)}. */
  program(pass, perspective) {
    const key = `${pass}:${perspective ? 3 : 2}`;
    let p = this.programs.get(key);
    if (p) return p;
    const gl = this.gl;
    const src = pointShaders(pass, perspective);
    const prog = gl.createProgram();
    gl.attachShader(prog, compile(gl, gl.VERTEX_SHADER, src.vertex));
    gl.attachShader(prog, compile(gl, gl.FRAGMENT_SHADER, src.fragment));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(prog)}`);
    const u = {};
    const count = gl.getProgramParameter(prog, gl.ACTIVE_UNIFORMS);
    for (let i = 0; i < count; i++) {
      const name = gl.getActiveUniform(prog, i).name;
      u[name] = gl.getUniformLocation(prog, name);
    }
    p = { program: prog, u };
    this.programs.set(key, p);
    return p;
  }

  /** Positions (n×3 float32) and flags (n uint8) of a new embedding. */
  setPositions(positions, flags) {
    const gl = this.gl;
    this.n = positions.length / 3;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
    this.setFlags(flags);
    this.idDirty = true;
  }

  setFlags(flags) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.flagBuf);
    gl.bufferData(gl.ARRAY_BUFFER, flags, gl.DYNAMIC_DRAW);
    this.idDirty = true;
  }

  /** One colour value per cell: a category code, or t in [0, 1]; negative = missing. */
  setValues(values) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.valBuf);
    gl.bufferData(gl.ARRAY_BUFFER, values, gl.DYNAMIC_DRAW);
  }

  /** Lookup texture: `mode` 0 = categorical (texelFetch by code), 1 = continuous (linear). */
  setLUT(rgba, width, height, mode) {
    const gl = this.gl;
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    const filter = mode === 1 ? gl.LINEAR : gl.NEAREST;
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    this.lutMode = mode;
    this.lutWidth = width;
  }

  /**
   * An overlay drawn over the points, in draw order of `order`: `cells` (Uint32Array),
   * `color` [r, g, b] in 0–1 or null for each cell's own colour. Empty cells remove it.
   */
  setOverlay(name, cells, color, order = 0) {
    const gl = this.gl;
    let o = this.overlays.get(name);
    if (!cells || cells.length === 0) {
      if (o) { gl.deleteBuffer(o.buffer); this.overlays.delete(name); }
      return;
    }
    if (!o) { o = { buffer: gl.createBuffer() }; this.overlays.set(name, o); }
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, o.buffer);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, cells, gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, null);
    Object.assign(o, { count: cells.length, color, order });
  }

  /** Resize the drawing buffer to the canvas's CSS size × devicePixelRatio. */
  resize(cssWidth, cssHeight, dpr) {
    const w = Math.max(1, Math.round(cssWidth * dpr)), h = Math.max(1, Math.round(cssHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.idDirty = true;
    }
    this.dpr = dpr;
  }

  /**
   * Draw a frame. `view`: camera, sizePx (CSS), theme, dim (selection active); `target`
   * {fbo, width, height} draws offscreen instead of into the canvas.
   */
  draw(view, target = null) {
    const gl = this.gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, target ? target.fbo : null);
    gl.viewport(0, 0, target ? target.width : this.canvas.width, target ? target.height : this.canvas.height);
    const bg = defaults.background[view.theme] || defaults.background.dark;
    gl.clearColor(bg[0], bg[1], bg[2], 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    if (!this.n) return;
    const perspective = view.camera.kind === "3d";
    let u = this.use("COLOR", view, bg);
    if (perspective) gl.enable(gl.DEPTH_TEST); else gl.disable(gl.DEPTH_TEST);
    gl.uniform1i(u.u_dim, view.dim ? 1 : 0);
    // Translucent points (a dense view of a level-of-detail sample) blend over what is drawn.
    const alpha = view.alpha ?? 1;
    if (alpha < 1) {
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
      gl.uniform1f(u.u_alpha, alpha);
    }
    gl.drawArrays(gl.POINTS, 0, this.n);
    gl.disable(gl.BLEND);
    gl.disable(gl.DEPTH_TEST);
    const sorted = [...this.overlays.values()].sort((a, b) => a.order - b.order);
    const base = this.pointSizeDevice(view);
    for (const o of sorted) {
      u = this.use(o.color ? "OVERLAY" : "COLOR", view, bg);
      if (o.color) {
        gl.uniform3fv(u.u_color, o.color);
        gl.uniform1f(u.u_sizeScale, Math.max(defaults.overlayScale, (defaults.minOverlayPx * this.dpr) / base));
      }
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, o.buffer);
      gl.drawElements(gl.POINTS, o.count, gl.UNSIGNED_INT, 0);
    }
    gl.bindVertexArray(null);
    this.idDirty = true;
  }

  /**
   * The view drawn offscreen into `width`×`height` device pixels at `pixelRatio` device pixels per
   * CSS px (point sizes scale with it): RGBA bytes, rows bottom-up as `readPixels` gives them.
   * The canvas is not touched. Throws when the size is over the GPU's limits.
   */
  renderPixels(view, width, height, pixelRatio) {
    const gl = this.gl;
    const dims = gl.getParameter(gl.MAX_VIEWPORT_DIMS);
    const max = Math.min(gl.getParameter(gl.MAX_RENDERBUFFER_SIZE), dims[0], dims[1]);
    if (width > max || height > max) throw new Error(`an image of ${width}×${height} px is over this GPU's limit of ${max} px a side; ask for a smaller scale`);
    const color = gl.createRenderbuffer();
    gl.bindRenderbuffer(gl.RENDERBUFFER, color);
    gl.renderbufferStorage(gl.RENDERBUFFER, gl.RGBA8, width, height);
    const depth = gl.createRenderbuffer();
    gl.bindRenderbuffer(gl.RENDERBUFFER, depth);
    gl.renderbufferStorage(gl.RENDERBUFFER, gl.DEPTH_COMPONENT24, width, height);
    const fbo = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
    gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, color);
    gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, depth);
    const dpr = this.dpr, idDirty = this.idDirty;
    try {
      if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) throw new Error(`the GPU cannot draw an image of ${width}×${height} px`);
      this.dpr = pixelRatio;
      this.draw(view, { fbo, width, height });
      const out = new Uint8Array(width * height * 4);
      gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
      gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
      return out;
    } finally {
      this.dpr = dpr;
      // The id buffer was not touched: picking stays valid.
      this.idDirty = idDirty;
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.bindRenderbuffer(gl.RENDERBUFFER, null);
      gl.deleteFramebuffer(fbo);
      gl.deleteRenderbuffer(color);
      gl.deleteRenderbuffer(depth);
    }
  }

  /** Block until queued drawing is done (reads one pixel). */
  finish() {
    const gl = this.gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
  }

  pointSizeDevice(view) {
    return Math.min(this.maxPointSize, Math.max(1, view.sizePx * this.dpr));
  }

  /** Bind the program for `pass` with the view's uniforms; returns its uniform locations. */
  use(pass, view, bg) {
    const gl = this.gl;
    const cam = view.camera;
    const { program, u } = this.program(pass, cam.kind === "3d");
    gl.useProgram(program);
    gl.bindVertexArray(this.vao);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    gl.uniformMatrix4fv(u.u_mvp, false, cam.viewProjection());
    gl.uniform1f(u.u_size, this.pointSizeDevice(view));
    gl.uniform1f(u.u_sizeScale, 1);
    gl.uniform1f(u.u_refW, cam.distance || 1);
    if (cam.kind === "3d") gl.uniform2f(u.u_fog, cam.distance - cam.radius, cam.distance + cam.radius);
    gl.uniform1i(u.u_lut, 0);
    gl.uniform1i(u.u_lutWidth, this.lutWidth);
    gl.uniform1i(u.u_mode, this.lutMode);
    gl.uniform3fv(u.u_bg, bg);
    gl.uniform3fv(u.u_ring, defaults.ring[view.theme] || defaults.ring.dark);
    gl.uniform1i(u.u_dim, 0);
    gl.uniform1f(u.u_alpha, 1);
    return u;
  }

  ensurePickTarget() {
    const gl = this.gl;
    const w = this.canvas.width, h = this.canvas.height;
    let t = this.pickTarget;
    if (t && t.w === w && t.h === h) return t;
    if (t) { gl.deleteFramebuffer(t.fbo); gl.deleteTexture(t.tex); gl.deleteRenderbuffer(t.depth); }
    const tex = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, w, h);
    const depth = gl.createRenderbuffer();
    gl.bindRenderbuffer(gl.RENDERBUFFER, depth);
    gl.renderbufferStorage(gl.RENDERBUFFER, gl.DEPTH_COMPONENT24, w, h);
    const fbo = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
    gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, depth);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    this.pickTarget = t = { fbo, tex, depth, w, h };
    this.idDirty = true;
    return t;
  }

  /**
   * The cell drawn nearest to (sx, sy) (CSS px) within `radiusPx`, or -1. Reads a small window of
   * the id buffer; the id pass is re-rendered only after something changed.
   */
  pick(view, sx, sy, radiusPx) {
    if (!this.n) return -1;
    const gl = this.gl;
    const t = this.ensurePickTarget();
    gl.bindFramebuffer(gl.FRAMEBUFFER, t.fbo);
    if (this.idDirty) {
      gl.viewport(0, 0, t.w, t.h);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      this.use("ID", view, [0, 0, 0]);
      if (view.camera.kind === "3d") gl.enable(gl.DEPTH_TEST); else gl.disable(gl.DEPTH_TEST);
      gl.drawArrays(gl.POINTS, 0, this.n);
      gl.disable(gl.DEPTH_TEST);
      gl.bindVertexArray(null);
      this.idDirty = false;
    }
    const r = Math.max(1, Math.ceil(radiusPx * this.dpr));
    const cx = Math.round(sx * this.dpr), cy = Math.round(t.h - sy * this.dpr);
    const x0 = Math.max(0, cx - r), y0 = Math.max(0, cy - r);
    const x1 = Math.min(t.w, cx + r + 1), y1 = Math.min(t.h, cy + r + 1);
    if (x1 <= x0 || y1 <= y0) { gl.bindFramebuffer(gl.FRAMEBUFFER, null); return -1; }
    const w = x1 - x0, h = y1 - y0;
    const buf = new Uint8Array(w * h * 4);
    gl.readPixels(x0, y0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, buf);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    let best = -1, bestD = Infinity;
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const k = (j * w + i) * 4;
        const id = buf[k] | (buf[k + 1] << 8) | (buf[k + 2] << 16) | (buf[k + 3] << 24);
        if (id === 0) continue;
        const dx = x0 + i - cx, dy = y0 + j - cy, d = dx * dx + dy * dy;
        if (d < bestD && d <= r * r) { bestD = d; best = (id >>> 0) - 1; }
      }
    }
    return best;
  }
}
