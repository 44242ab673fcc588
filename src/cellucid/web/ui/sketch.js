// A 2D canvas over the WebGL canvas for tool feedback: the lasso path, the proximity circle, labels.

export const defaults = {
  stroke: { dark: "rgba(255,255,255,0.95)", light: "rgba(20,20,20,0.9)" },
  fill: { dark: "rgba(255,255,255,0.08)", light: "rgba(0,0,0,0.06)" },
  font: "12px system-ui, sans-serif",
};

export class Sketch {
  constructor(canvas, getTheme) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.getTheme = getTheme;
  }

  resize(w, h, dpr) {
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.dpr = dpr;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  style() {
    const t = this.getTheme();
    const c = this.ctx;
    c.strokeStyle = defaults.stroke[t];
    c.fillStyle = defaults.fill[t];
    c.lineWidth = 1.5;
    c.setLineDash([5, 4]);
    c.font = defaults.font;
  }

  path(points, closed) {
    this.clear();
    const c = this.ctx;
    this.style();
    c.beginPath();
    points.forEach(([x, y], i) => (i ? c.lineTo(x, y) : c.moveTo(x, y)));
    if (closed) c.closePath();
    c.fill();
    c.stroke();
  }

  circle(x, y, r, text) {
    this.clear();
    const c = this.ctx;
    this.style();
    c.beginPath();
    c.arc(x, y, r, 0, Math.PI * 2);
    c.fill();
    c.stroke();
    this.text(x + r * 0.71 + 6, y - r * 0.71 - 6, text);
  }

  label(x, y, text, at) {
    this.clear();
    const c = this.ctx;
    this.style();
    c.beginPath();
    c.moveTo(x, y);
    c.lineTo(at.x, at.y);
    c.stroke();
    this.text(at.x + 8, at.y - 8, text);
  }

  text(x, y, text) {
    const c = this.ctx;
    c.setLineDash([]);
    c.fillStyle = defaults.stroke[this.getTheme()];
    c.fillText(text, x, y);
  }
}
