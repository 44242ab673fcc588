import test from "node:test";
import assert from "node:assert/strict";
import { groupColors, labelRoom, shortLabel, violinRows } from "../../src/cellucid/web/ui/geneplots.js";

test("axis labels longer than 30 characters are cut", () => {
  assert.equal(shortLabel("CD4+ T"), "CD4+ T");
  const cut = shortLabel("x".repeat(40));
  assert.equal(cut.length, 30);
  assert.ok(cut.endsWith("…"));
});

test("label room fits the longest label, less when rotated by 45°", () => {
  const measure = (t) => t.length * 6;
  assert.equal(labelRoom(["a", "abcdef"], false, measure), 36 + 12);
  assert.equal(labelRoom(["abcdef"], true, measure), Math.ceil(48 * Math.SQRT1_2 + 12));
  assert.equal(labelRoom(["y".repeat(100)], false, measure), 30 * 6 + 12);
});

test("violin rows: each violin's outline, groups as strings", () => {
  const rows = violinRows([
    { gene: "A", group: 0, min: 0, max: 2, values: [0, 1, 2] },
    { gene: "A", group: "b", min: null, max: null, values: [] },
  ]);
  assert.ok(rows.length > 2);
  assert.ok(rows.every((r) => r.gene === "A" && r.group === "0"));
  assert.equal(rows[0].value, 0);
  assert.equal(rows[rows.length - 1].value, 2);
  assert.equal(Math.max(...rows.map((r) => r.width)), 1);
});

test("group colours are the view's own for the column, else the palette", () => {
  const manifest = { obs: [{ name: "leiden", kind: "categorical", categories: ["0", "1", "2"], colors: ["#aa0000", "#00aa00", "#0000aa"] }] };
  assert.deepEqual(groupColors(manifest, "leiden", ["2", "0"]), ["#0000aa", "#aa0000"]);
  const other = groupColors(manifest, "other", ["x", "y"]);
  assert.equal(other.length, 2);
  assert.ok(other.every((c) => /^#[0-9a-f]{6}$/i.test(c)));
});
