// Pointer, wheel and keyboard input on the canvas: navigation (pan, zoom to cursor, orbit),
// the active tool's gestures, clicks, and hover picking (GPU id buffer, throttled).

import { modeFromModifiers } from "./selection.js";

export const defaults = {
  clickSlopPx: 4,
  wheelZoomSpeed: 0.0015,
  hoverPickMs: 30,
  keyZoomFactor: 1.25,
};

export class Interaction {
  /**
   * @param {object} opts canvas, app, tools (Map name → tool), bridge, tooltip(el),
   *   onToolChange(name), onClear(), onHighlight(), onAnnotate().
   */
  constructor(opts) {
    Object.assign(this, opts);
    this.tool = "click";
    this.gesture = null;
    this.hoverCell = null;
    this.hoverTimer = null;
    this.lastPointer = null;
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => this.down(e));
    c.addEventListener("pointermove", (e) => this.move(e));
    c.addEventListener("pointerup", (e) => this.up(e));
    c.addEventListener("pointercancel", () => this.cancelGesture());
    c.addEventListener("pointerleave", () => { if (!this.gesture) this.setHover(-1); });
    c.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    c.addEventListener("contextmenu", (e) => e.preventDefault());
    window.addEventListener("keydown", (e) => this.key(e));
  }

  local(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  setTool(name) {
    this.cancelGesture();
    this.tool = name;
    this.canvas.dataset.tool = name;
    this.onToolChange(name);
  }

  down(e) {
    if (!this.app.embedding || this.app.frozen) return;
    this.canvas.focus({ preventScroll: true });
    const p = this.local(e);
    this.canvas.setPointerCapture(e.pointerId);
    const tool = this.tools.get(this.tool);
    const navButton = e.button === 1 || e.button === 2;
    if (!navButton && e.button === 0 && tool && this.tool !== "click") {
      if (tool.begin(e, p)) this.gesture = { kind: "tool", tool, start: p, last: p, moved: 0 };
      return;
    }
    const is3d = this.app.camera.kind === "3d";
    const kind = is3d && e.button === 0 && !e.shiftKey && !e.ctrlKey && !e.metaKey ? "rotate" : "pan";
    this.gesture = { kind, start: p, last: p, moved: 0, button: e.button };
    this.setHover(-1);
  }

  move(e) {
    const p = this.local(e);
    this.lastPointer = p;
    const g = this.gesture;
    if (!g) { this.scheduleHover(); return; }
    g.moved = Math.max(g.moved, Math.hypot(p.x - g.start.x, p.y - g.start.y));
    if (g.kind === "tool") {
      g.tool.move(e, p);
    } else if (g.moved > defaults.clickSlopPx) {
      const dx = p.x - g.last.x, dy = p.y - g.last.y;
      this.app.moveCamera((c) => (g.kind === "rotate" ? c.rotate(dx, dy) : c.pan(dx, dy)));
    }
    g.last = p;
  }

  up(e) {
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    const p = this.local(e);
    if (g.kind === "tool") {
      g.tool.end(e, p);
      return;
    }
    if (g.moved <= defaults.clickSlopPx) this.click(e, p);
    else this.app.changed("camera");
  }

  click(e, p) {
    const cell = this.app.pick(p.x, p.y);
    if (cell < 0) return;
    this.bridge.send("click", { cell, button: e.button, shift: e.shiftKey, ctrl: e.ctrlKey || e.metaKey, alt: e.altKey });
    if (this.tool === "click" && e.button === 0) {
      this.app.select(Uint32Array.of(cell), { source: "click", mode: modeFromModifiers(e), extra: { cell } });
    }
  }

  cancelGesture() {
    if (this.gesture && this.gesture.kind === "tool") this.gesture.tool.cancel();
    this.gesture = null;
  }

  wheel(e) {
    e.preventDefault();
    if (!this.app.embedding) return;
    const p = this.local(e);
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.app.moveCamera((c) => c.zoomAt(p.x, p.y, Math.exp(-delta * defaults.wheelZoomSpeed)));
    this.app.changed("camera");
    this.scheduleHover();
  }

  key(e) {
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey) return;
    const k = e.key.toLowerCase();
    if (e.key === "Escape") {
      this.cancelGesture();
      this.onClear();
      return;
    }
    for (const tool of this.tools.values()) {
      if (tool.key === k) { this.setTool(tool.name); e.preventDefault(); return; }
    }
    if (k === "c" || k === "v") this.setTool("click");
    else if (k === "r") this.app.resetCamera();
    else if (k === "h") this.onHighlight();
    else if (k === "a" && this.onAnnotate) {
      // Without preventDefault the "a" would be typed into the field that opens.
      e.preventDefault();
      this.onAnnotate();
    }
    else if (k === "+" || k === "=" || k === "-") {
      const factor = k === "-" ? 1 / defaults.keyZoomFactor : defaults.keyZoomFactor;
      this.app.moveCamera((c) => c.zoomAt(c.width / 2, c.height / 2, factor));
    }
  }

  scheduleHover() {
    if (this.hoverTimer) return;
    this.hoverTimer = setTimeout(() => {
      this.hoverTimer = null;
      if (this.gesture || !this.lastPointer || !this.app.embedding) return;
      const { x, y } = this.lastPointer;
      const inside = x >= 0 && y >= 0 && x < this.app.camera.width && y < this.app.camera.height;
      this.setHover(inside ? this.app.pick(x, y) : -1, this.lastPointer);
    }, defaults.hoverPickMs);
  }

  /** Update the hovered cell (-1 for none): tooltip and the throttled `hover` event. */
  setHover(cell, at) {
    const next = cell >= 0 ? cell : null;
    if (next === this.hoverCell) {
      if (next !== null && at) this.tooltip.move(at);
      return;
    }
    this.hoverCell = next;
    if (next === null) {
      this.tooltip.hide();
      this.bridge.sendHover(null, null);
    } else {
      const pos = this.app.position(next);
      this.tooltip.show(next, at);
      this.bridge.sendHover(next, pos);
    }
  }
}
