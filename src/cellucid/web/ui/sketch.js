// An SVG layer over the WebGL canvas for tool feedback: the lasso path, the proximity circle,
// and short labels. SVG keeps the feedback crisp at any devicePixelRatio.

export const defaults = {
  stroke: { dark: "rgba(255,255,255,0.95)", light: "rgba(20,20,20,0.9)" },
  fill: { dark: "rgba(255,255,255,0.08)", light: "rgba(0,0,0,0.06)" },
  dash: "5 4",
};

const SVG = "http://www.w3.org/2000/svg";

export class Sketch {
  constructor(svg, getTheme) {
    this.svg = svg;
    this.getTheme = getTheme;
    this.shape = null;
    this.textEl = null;
  }

  resize(w, h) {
    this.svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  }

  clear() {
    this.svg.replaceChildren();
    this.shape = null;
    this.textEl = null;
  }

  /** The one shape element of `tag`, created on first use and styled for the theme. */
  element(tag) {
    if (!this.shape || this.shape.tagName !== tag) {
      this.clear();
      this.shape = document.createElementNS(SVG, tag);
      this.svg.appendChild(this.shape);
    }
    const t = this.getTheme();
    this.shape.setAttribute("stroke", defaults.stroke[t]);
    this.shape.setAttribute("fill", tag === "line" ? "none" : defaults.fill[t]);
    this.shape.setAttribute("stroke-width", "1.5");
    this.shape.setAttribute("stroke-dasharray", defaults.dash);
    return this.shape;
  }

  path(points, closed) {
    const d = points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`).join("") + (closed ? "Z" : "");
    this.element("path").setAttribute("d", d);
  }

  circle(x, y, r, text) {
    const c = this.element("circle");
    c.setAttribute("cx", x);
    c.setAttribute("cy", y);
    c.setAttribute("r", Math.max(0, r));
    this.text(x + r * 0.71 + 6, y - r * 0.71 - 6, text);
  }

  label(x, y, text, at) {
    const l = this.element("line");
    l.setAttribute("x1", x);
    l.setAttribute("y1", y);
    l.setAttribute("x2", at.x);
    l.setAttribute("y2", at.y);
    this.text(at.x + 8, at.y - 8, text);
  }

  text(x, y, text) {
    if (!this.textEl) {
      this.textEl = document.createElementNS(SVG, "text");
      this.textEl.setAttribute("class", "sketch-label");
      this.svg.appendChild(this.textEl);
    }
    this.textEl.setAttribute("x", x);
    this.textEl.setAttribute("y", y);
    this.textEl.setAttribute("fill", defaults.stroke[this.getTheme()]);
    this.textEl.textContent = text;
  }
}
