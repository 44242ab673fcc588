// The dock: where the panels (annotate, compare, gene plots) sit, beside the plot or below it,
// never over it. The plot's stage takes the space left (its ResizeObserver resizes the canvas,
// and the camera refits); the dock picks its side from the view's size, and shrinks to the
// panels' title bars when every open panel is collapsed.

export const defaults = {
  minStageWidth: 320,      // px the plot keeps beside the dock; less, and the dock goes below
  dockShare: 0.45,         // of the view's width beside (of its height below)
  minDockWidth: 320,
  maxDockWidth: 480,
  minDockHeight: 160,
  minStageHeight: 200,     // px the plot keeps above the dock, when there is room for it
  collapsedWidth: 34,      // a column of vertical title bars
};

/**
 * Where the dock goes in a view of `width` × `height` CSS px: {placement: "beside" | "below",
 * size} (px: the dock's width beside, its height below; null below when `collapsed`, where the
 * title bars take what they need).
 */
export function dockLayout(width, height, { collapsed = false } = {}) {
  const d = defaults;
  const beside = Math.round(Math.min(d.maxDockWidth, Math.max(d.minDockWidth, width * d.dockShare)));
  if (width - beside >= d.minStageWidth) return { placement: "beside", size: collapsed ? d.collapsedWidth : beside };
  if (collapsed) return { placement: "below", size: null };
  const below = Math.min(height * d.dockShare, height - d.minStageHeight);
  return { placement: "below", size: Math.round(Math.max(d.minDockHeight, below)) };
}

/**
 * Lay out `dock` (holding the panels) in `view` (holding the stage and the dock) now and whenever
 * the view resizes or a panel opens, closes or collapses. Returns {layout()}. Marks
 * `view.dataset.dock` ("none", "beside", "below") and `document.body.dataset.cellucidDock`.
 */
export function createDock({ view, dock }) {
  const layout = () => {
    const open = [...dock.children].filter((p) => p.classList.contains("panel") && !p.hidden);
    dock.hidden = open.length === 0;
    let placement = "none";
    dock.style.width = dock.style.height = "";
    if (open.length) {
      const collapsed = open.every((p) => p.classList.contains("collapsed"));
      const r = view.getBoundingClientRect();
      const spot = dockLayout(r.width, r.height, { collapsed });
      placement = spot.placement;
      view.dataset.dockCollapsed = collapsed ? "1" : "0";
      if (spot.size !== null) dock.style[placement === "beside" ? "width" : "height"] = `${spot.size}px`;
    }
    view.dataset.dock = placement;
    document.body.dataset.cellucidDock = placement;
  };
  const watch = new MutationObserver(layout);
  for (const panel of dock.children) watch.observe(panel, { attributes: true, attributeFilter: ["hidden", "class"] });
  new ResizeObserver(layout).observe(view);
  layout();
  return { layout };
}
