import test from "node:test";
import assert from "node:assert/strict";
import { PointBudget, budgetFromQuery, isSoftwareRenderer } from "../../src/cellucid/web/lod/budget.js";
import { TileCache } from "../../src/cellucid/web/lod/cache.js";
import { bitAt, formatTiles, maskBytes, splitTiles } from "../../src/cellucid/web/lod/client.js";
import { TileLoader } from "../../src/cellucid/web/lod/loader.js";
import { coarsestCells, levelTileList, planTiles, tileIndex, viewTest } from "../../src/cellucid/web/lod/plan.js";
import { assemble, verticesOf } from "../../src/cellucid/web/lod/scene.js";
import { Scheduler } from "../../src/cellucid/web/lod/scheduler.js";
import { KernelCells, TileSets } from "../../src/cellucid/web/lod/sets.js";
import { ascending, embeddingExtent, verticesFromBits } from "../../src/cellucid/web/lod/app.js";
import { encodeCells } from "../../src/cellucid/web/cells.js";
import { Camera2D, OrbitCamera } from "../../src/cellucid/web/camera.js";
import { FLAG_HIDDEN, FLAG_INVALID, FLAG_SELECTED, MISSING_VALUE } from "../../src/cellucid/web/constants.js";

// Three levels: level 0 one tile of 4 cells over the whole square; level 1 two tiles (left and
// right halves, 4 cells each); level 2 four quadrant tiles of 8 cells each.
const INDEX = tileIndex({
  n_cells: 44, starts: [0, 4, 8, 12, 20, 28, 36, 44], levels: [0, 1, 1, 2, 2, 2, 2],
});
// Boxes (n_tiles × 2 × 2): whole square, left, right, then the quadrants.
const BOUNDS = Float32Array.from([
  0, 0, 10, 10,
  0, 0, 5, 10, 5, 0, 10, 10,
  0, 0, 5, 5, 5, 0, 10, 5, 0, 5, 5, 10, 5, 5, 10, 10,
]);

function camera2d(min, max) {
  const c = new Camera2D();
  c.resize(200, 200);
  c.fit(min, max);
  return c;
}

test("the tile index: counts, levels' first tiles, the coarsest level", () => {
  assert.deepEqual([...INDEX.counts], [4, 4, 4, 8, 8, 8, 8]);
  assert.deepEqual([...INDEX.levelTiles], [0, 1, 3, 7]);
  assert.equal(INDEX.nLevels, 3);
  assert.equal(coarsestCells(INDEX), 4);
  assert.deepEqual(levelTileList(INDEX, 1), [1, 2]);
});

test("the plan takes whole levels coarse first while they fit, then the nearest tiles", () => {
  const home = viewTest(camera2d([0, 0], [10, 10]), BOUNDS, 2);
  assert.deepEqual(planTiles(INDEX, home, 1000).tiles, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(planTiles(INDEX, home, 12).tiles, [0, 1, 2], "level 2 does not fit");
  assert.deepEqual(planTiles(INDEX, home, 2).tiles, [0], "level 0 is always drawn");
  // A budget with room for one quadrant takes the one nearest the view's centre.
  const offCentre = viewTest(camera2d([6, 6], [10, 10]), BOUNDS, 2);
  const plan = planTiles(INDEX, offCentre, 20);
  assert.deepEqual(plan.tiles, [0, 2, 6], "zoomed on the top right: right half, then its quadrant");
  assert.equal(plan.cells, 16);
});

test("zooming in lets deeper levels into the same budget", () => {
  const budget = 16;
  const home = planTiles(INDEX, viewTest(camera2d([0, 0], [10, 10]), BOUNDS, 2), budget);
  const zoomed = planTiles(INDEX, viewTest(camera2d([0.5, 0.5], [4.5, 4.5]), BOUNDS, 2), budget);
  assert.ok(zoomed.levels > home.levels);
  assert.ok(zoomed.tiles.includes(3) && !zoomed.tiles.includes(6));
});

test("a 1D view tests x alone; a 3D view culls tiles outside the frustum", () => {
  const bounds1 = Float32Array.from([0, 10, 0, 5, 5, 10, 0, 2, 2, 5, 5, 7, 7, 10]);
  const v1 = viewTest(camera2d([6, -1], [10, 1]), bounds1, 1);
  assert.equal(v1.visible(1), false);
  assert.equal(v1.visible(2), true);
  const bounds3 = Float32Array.from([-1, -1, -1, 1, 1, 1, 50, 50, 50, 51, 51, 51]);
  const cam = new OrbitCamera();
  cam.resize(200, 200);
  cam.fit([-1, -1, -1], [1, 1, 1], Math.sqrt(3));
  const v3 = viewTest(cam, bounds3, 3);
  assert.equal(v3.visible(0), true);
  assert.equal(v3.visible(1), false);
  const empty = Float32Array.from([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity]);
  assert.equal(viewTest(cam, empty, 3).visible(0), false, "a tile without valid cells");
});

test("the budget starts small on software renderers and follows frame times", () => {
  assert.equal(isSoftwareRenderer("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))"), true);
  assert.equal(isSoftwareRenderer("NVIDIA GeForce RTX 3080"), false);
  const soft = new PointBudget({ max: 2_000_000, floor: 65_536, software: true });
  const gpu = new PointBudget({ max: 2_000_000, floor: 65_536, software: false });
  assert.equal(soft.value, 250_000);
  assert.equal(gpu.value, 1_000_000);
  assert.equal(new PointBudget({ max: 100_000, floor: 5, software: false }).value, 100_000, "never above the viewer's");
  assert.equal(new PointBudget({ max: 100_000, floor: 300_000 }).value, 100_000);
  // Slow frames at the budget shrink it; frames below the budget's cells do not count.
  assert.equal(soft.observe(400, 10_000), false);
  soft.observe(400, 250_000); soft.observe(400, 250_000);
  assert.equal(soft.observe(400, 250_000), true);
  assert.ok(soft.value < 250_000 && soft.value >= 125_000);
  // Fast frames at the budget grow it, up to the viewer's budget.
  const fast = new PointBudget({ max: 300_000, floor: 1, software: true });
  for (let i = 0; i < 12; i++) fast.observe(5, fast.value);
  assert.equal(fast.value, 300_000);
  assert.throws(() => new PointBudget({ max: 0 }), /whole number of cells ≥ 1/);
});

test("a budget in the page's URL must be a whole number ≥ 1", () => {
  assert.equal(budgetFromQuery("?viewerId=a"), null);
  assert.equal(budgetFromQuery("?pointBudget=5000"), 5000);
  assert.throws(() => budgetFromQuery("?pointBudget=0"), /pointBudget=0 .*not a whole number of cells ≥ 1/);
  assert.throws(() => budgetFromQuery("?pointBudget=-3"), /not a whole number/);
  assert.throws(() => budgetFromQuery("?pointBudget=1e3"), /not a whole number/);
});

test("the tile cache evicts the least recently used bytes, never pinned keys", () => {
  const cache = new TileCache({ maxBytes: 100 });
  cache.set("a", new Uint8Array(40));
  cache.set("b", new Uint8Array(40));
  cache.get("a");
  cache.pin(new Set(["b"]));
  cache.set("c", new Uint8Array(40));
  assert.equal(cache.has("a"), false, "a is older than c, b is pinned");
  assert.equal(cache.has("b") && cache.has("c"), true);
  assert.equal(cache.stats().bytes, 80);
  cache.drop((k) => k === "b");
  assert.equal(cache.stats().bytes, 40);
});

test("tile lists and replies: ranges, one copy per tile, packed bits", () => {
  assert.equal(formatTiles([0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
  assert.equal(formatTiles([3]), "3");
  const parts = splitTiles(Float32Array.from([1, 2, 3, 4, 5]), [2, 5], (t) => (t === 2 ? 2 : 3));
  assert.deepEqual([...parts.get(5)], [3, 4, 5]);
  assert.notEqual(parts.get(5).buffer, parts.get(2).buffer, "copies: each tile's bytes are its own");
  assert.throws(() => splitTiles(new Float32Array(4), [0], () => 3), /4 values where 3/);
  assert.equal(maskBytes(9), 2);
  assert.equal(bitAt(Uint8Array.of(0b101), 2), 1);
  assert.equal(bitAt(Uint8Array.of(0b101), 1), 0);
});

function fakeColumn(key, calls, { fail = false } = {}) {
  return {
    key,
    size: (t) => INDEX.counts[t],
    fetch: async (tiles) => {
      calls.push(tiles.slice());
      if (fail) throw new Error("tile 3 cannot be read");
      const out = [];
      for (const t of tiles) for (let j = 0; j < INDEX.counts[t]; j++) out.push(t * 100 + j);
      return { array: Float32Array.from(out), meta: { tiles } };
    },
  };
}

test("the loader fetches missing tiles once, in runs capped in cells, a few at a time", async () => {
  const calls = [];
  const loader = new TileLoader({ cache: new TileCache(), counts: INDEX.counts, options: { maxCells: 16, maxInFlight: 1 } });
  const col = fakeColumn("x", calls);
  await Promise.all([loader.ensure(col, [6, 0, 3, 4]), loader.ensure(col, [3])]);
  assert.deepEqual(calls, [[0, 3], [4, 6]], "ascending, ≤ 16 cells each, tile 3 asked once");
  assert.deepEqual([...loader.get(col, 4)], [400, 401, 402, 403, 404, 405, 406, 407]);
  await loader.ensure(col, [0, 3]);
  assert.equal(calls.length, 2, "cached tiles are not fetched again");
});

test("a failed tile is not asked for again for a while; its error is given back", async () => {
  let now = 0;
  const calls = [];
  const loader = new TileLoader({ cache: new TileCache(), counts: INDEX.counts, now: () => now });
  const bad = fakeColumn("bad", calls, { fail: true });
  await assert.rejects(loader.ensure(bad, [3]), /tile 3 cannot be read/);
  await assert.rejects(loader.ensure(bad, [3]), /tile 3 cannot be read/);
  assert.equal(calls.length, 1);
  now += 60_000;
  await assert.rejects(loader.ensure(bad, [3]));
  assert.equal(calls.length, 2, "asked again after the retry delay");
});

test("the scene: vertices per drawn tile, jitter in 1D, flags and overlays from the sets' bits", () => {
  const counts = Int32Array.from([2, 3]);
  const positions = { 0: Float32Array.from([1, NaN]), 1: Float32Array.from([3, 4, 5]) };
  const rows = { 0: Uint32Array.from([10, 11]), 1: Uint32Array.from([20, 21, 22]) };
  const codes = { 0: Uint16Array.from([1, 65535]), 1: Uint16Array.from([0, 2, 1]) };
  const scene = assemble({
    tiles: [1, 0], counts, dims: 1, positions: (t) => positions[t], rows: (t) => rows[t],
    values: (t) => codes[t], color: { type: "categorical" },
    sets: { selected: (t) => (t === 1 ? Uint8Array.of(0b110) : Uint8Array.of(0)), hidden: (t) => (t === 0 ? Uint8Array.of(0b01) : Uint8Array.of(0)), groups: [["group:g", (t) => (t === 0 ? Uint8Array.of(0b10) : null)]] },
    half: 2,
  });
  assert.equal(scene.n, 5);
  assert.deepEqual([...scene.rows], [20, 21, 22, 10, 11]);
  assert.deepEqual([...scene.tileStarts], [0, 3, 5]);
  assert.deepEqual([...scene.values], [0, 2, 1, 1, MISSING_VALUE]);
  assert.equal(scene.flags[1], FLAG_SELECTED);
  assert.equal(scene.flags[3], FLAG_HIDDEN);
  assert.equal(scene.flags[4], FLAG_INVALID);
  assert.deepEqual([...scene.selected], [1, 2]);
  assert.deepEqual([...scene.groups.get("group:g")], [4]);
  const y = scene.positions[1];
  assert.ok(Math.abs(y) <= 2 && y !== 0, "1D cells get the page's jitter");
  assert.deepEqual([...verticesOf(scene.rows, [11, 21])], [1, 4]);
});

test("bits of drawn tiles (a reply in ascending tile order) map to their vertices", () => {
  const counts = Int32Array.from([9, 2]);
  // drawn order: tile 1 (vertices 0-1) then tile 0 (vertices 2-10); reply: tile 0 (2 bytes), tile 1 (1 byte)
  const bits = Uint8Array.of(0b00000001, 0b1, 0b10);
  assert.deepEqual([...verticesFromBits(bits, [1, 0], counts, Int32Array.from([0, 2, 11]))], [1, 2, 10]);
  assert.deepEqual(ascending([5, 1, 3]), [1, 3, 5]);
});

test("kernel sets travel as references; their bits are a tile column by version", async () => {
  const ref = new KernelCells("selection", 4, 1234);
  assert.equal(ref.length, 1234);
  assert.deepEqual(await encodeCells(ref, 10), { encoding: "ref", mask: "selection" });
  assert.equal(ref.olderThan({ version: 5 }), true);
  const seen = [];
  const sets = new TileSets({ client: { mask: async () => ({ array: Uint8Array.of(1), version: 9, count: 1 }) }, counts: Int32Array.from([3]) });
  sets.onNewer = (meta) => seen.push(meta.version);
  assert.equal(sets.note({ name: "selection", version: 7, count: 3 }).version, 7);
  assert.equal(sets.note({ name: "selection", version: 6, count: 1 }).version, 7, "an older version is ignored");
  const column = sets.column(sets.get("selection"));
  assert.equal(column.key, "m|selection|7");
  assert.equal(column.size(0), 1);
  const { meta } = await column.fetch([0]);
  column.onMeta(meta);
  assert.deepEqual(seen, [9], "a newer version seen in a reply is reported");
});

test("the scheduler draws the tiles whose data are cached and fetches the rest", async () => {
  const calls = [];
  const cache = new TileCache();
  const loader = new TileLoader({ cache, counts: INDEX.counts });
  const col = fakeColumn("p", calls);
  const shown = [];
  const problems = [];
  const timers = [];
  const app = {
    plan: () => ({ tiles: [0, 1, 2] }),
    requiredColumns: () => [col],
    showTiles: (tiles) => shown.push(tiles),
    problem: (err) => problems.push(err),
  };
  const s = new Scheduler({ app, loader, counts: INDEX.counts, setTimeout: (fn) => timers.push(fn) });
  s.tick();
  assert.deepEqual(shown, [], "nothing cached yet");
  assert.equal(s.pending, 3);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(timers.length, 1, "a finished load asks for a plan");
  timers.shift()();
  assert.deepEqual(shown, [[0, 1, 2]]);
  assert.equal(s.pending, 0);
  assert.deepEqual(problems, []);
});

test("a tiled embedding's box comes from the manifest; 1D adds the jitter band", () => {
  const e2 = embeddingExtent({ dims: 2, min: [-1, -2], max: [3, 4] });
  assert.deepEqual([e2.min, e2.max], [[-1, -2], [3, 4]]);
  const e1 = embeddingExtent({ dims: 1, min: [0], max: [10] });
  assert.deepEqual(e1.min, [0, -e1.half]);
  assert.ok(Math.abs(e1.half - 1.2) < 1e-9);
});
