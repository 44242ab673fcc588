// Observable Plot, imported on first use from the module vendored in `vendor/plot.js` (built by
// `webdeps/`), and the standalone SVG files the plots' "SVG" buttons download.

export const defaults = {
  legendGap: 6,
};

const SVG_NS = "http://www.w3.org/2000/svg";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

let loading = null;

/**
 * The Plot module, imported the first time a plot is drawn so the viewer's first frame never
 * waits for it; later calls share that import, and a failed one is tried again next time.
 */
export function loadPlot(importer = () => import("./vendor/plot.js")) {
  if (!loading) {
    loading = importer().catch((err) => {
      loading = null;
      throw new Error(`cannot load the plotting library: ${err && err.message ? err.message : err}`);
    });
  }
  return loading;
}

/** The size in px of a Plot-made <svg>: its width/height attributes, else its viewBox, else its box. */
export function svgSize(svg) {
  const w = Number(svg.getAttribute("width")), h = Number(svg.getAttribute("height"));
  if (w > 0 && h > 0) return { width: w, height: h };
  const vb = (svg.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
  if (vb.length === 4 && vb[2] > 0 && vb[3] > 0) return { width: vb[2], height: vb[3] };
  const r = svg.getBoundingClientRect();
  return { width: Math.ceil(r.width), height: Math.ceil(r.height) };
}

/**
 * A standalone SVG document (text) of what Plot drew: `node` is its <svg>, or an element holding
 * several (a plot and its colour legend), stacked top to bottom into one file. Text drawn in
 * `currentColor` comes out black on white.
 */
export function svgMarkup(node) {
  const doc = node.ownerDocument;
  const svgs = node.localName === "svg" ? [node] : [...node.querySelectorAll("svg")].filter((s) => !s.parentElement.closest("svg"));
  if (!svgs.length) throw new Error("no SVG drawn yet");
  let out;
  if (svgs.length === 1) {
    out = svgs[0].cloneNode(true);
  } else {
    out = doc.createElementNS(SVG_NS, "svg");
    let y = 0, width = 0;
    for (const s of svgs) {
      const size = svgSize(s);
      const c = s.cloneNode(true);
      c.setAttribute("x", "0");
      c.setAttribute("y", String(y));
      c.setAttribute("width", String(size.width));
      c.setAttribute("height", String(size.height));
      out.appendChild(c);
      y += size.height + defaults.legendGap;
      width = Math.max(width, size.width);
    }
    const height = y - defaults.legendGap;
    out.setAttribute("width", String(width));
    out.setAttribute("height", String(height));
    out.setAttribute("viewBox", `0 0 ${width} ${height}`);
    out.setAttribute("font-family", "system-ui, sans-serif");
  }
  out.setAttributeNS(XMLNS_NS, "xmlns", SVG_NS);
  out.style.color = "black";
  out.style.background = "white";
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}\n`;
}
