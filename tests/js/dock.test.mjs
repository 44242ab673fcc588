import test from "node:test";
import assert from "node:assert/strict";
import { defaults, dockLayout } from "../../src/cellucid/web/ui/dock.js";

test("panels dock beside the plot when it keeps its minimum width, else below", () => {
  // a full window: beside, at most maxDockWidth
  assert.deepEqual(dockLayout(1180, 830), { placement: "beside", size: defaults.maxDockWidth });
  // a notebook output 1000 px wide (legend aside): beside, 45 % of the view
  const wide = dockLayout(780, 560);
  assert.equal(wide.placement, "beside");
  assert.ok(780 - wide.size >= defaults.minStageWidth);
  // a narrow output: below, half the height, the plot keeping at least minStageHeight
  const narrow = dockLayout(540, 531);
  assert.equal(narrow.placement, "below");
  assert.equal(narrow.size, Math.round(531 * defaults.dockShare));
  assert.ok(531 - narrow.size >= defaults.minStageHeight);
  // too short for both: the dock keeps its minimum, the plot the rest
  assert.deepEqual(dockLayout(400, 300), { placement: "below", size: defaults.minDockHeight });
});

test("with every open panel collapsed the dock is a strip beside, title bars below", () => {
  assert.deepEqual(dockLayout(1180, 830, { collapsed: true }), { placement: "beside", size: defaults.collapsedWidth });
  assert.deepEqual(dockLayout(540, 531, { collapsed: true }), { placement: "below", size: null });
});
