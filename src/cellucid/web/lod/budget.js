// The point budget of a tiled view: how many cells the page draws at once. It starts small on a
// software renderer and larger on a GPU, never above the viewer's budget nor below the coarsest
// level, and follows the time frames take (docs/protocol.md, "Level of detail").

export const defaults = {
  softwareStart: 250_000,
  gpuStart: 1_000_000,
  targetMs: 120,
  growBelow: 1 / 3,
  samples: 3,
  minShrink: 0.5,
  maxShrink: 0.85,
  grow: 1.3,
};

/** Whether a WebGL renderer string names a software rasteriser. */
export function isSoftwareRenderer(name) {
  return /swiftshader|llvmpipe|softpipe|software/i.test(String(name || ""));
}

/**
 * A budget from `?pointBudget=` in the page's URL: the number, or null when absent. Throws an
 * Error whose message is for the user when it is not a whole number ≥ 1.
 */
export function budgetFromQuery(search) {
  const raw = new URLSearchParams(search || "").get("pointBudget");
  if (raw === null) return null;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`pointBudget=${raw.slice(0, 40)} in the page's URL is not a whole number of cells ≥ 1; drawing with the viewer's budget instead`);
  }
  return value;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export class PointBudget {
  /**
   * @param {object} o max (the viewer's budget), floor (cells of the coarsest level),
   *   software (a software renderer), options (overrides of `defaults`).
   */
  constructor({ max, floor = 1, software = false, options = {} }) {
    this.options = { ...defaults, ...options };
    if (!(Number.isSafeInteger(max) && max >= 1)) throw new Error(`the point budget must be a whole number of cells ≥ 1, got ${max}`);
    this.max = max;
    this.floor = Math.max(1, Math.min(floor, max));
    const start = software ? this.options.softwareStart : this.options.gpuStart;
    this.value = this.clamp(start);
    this.frames = [];
  }

  clamp(v) {
    return Math.max(this.floor, Math.min(this.max, Math.round(v)));
  }

  /**
   * A frame of `drawn` cells took `ms`. Returns true when the budget changed: it shrinks while
   * frames near the budget are slower than the target, grows while they are far faster.
   */
  observe(ms, drawn) {
    const o = this.options;
    if (!(ms >= 0) || drawn < 0.6 * this.value) return false;   // not a frame at the budget
    this.frames.push(ms);
    if (this.frames.length < o.samples) return false;
    const typical = median(this.frames);
    this.frames = [];
    let next = this.value;
    if (typical > o.targetMs) next = this.value * Math.max(o.minShrink, Math.min(o.maxShrink, o.targetMs / typical));
    else if (typical < o.targetMs * o.growBelow && drawn >= 0.9 * this.value) next = this.value * o.grow;
    next = this.clamp(next);
    if (next === this.value) return false;
    this.value = next;
    return true;
  }
}
