import test from "node:test";
import assert from "node:assert/strict";
import { defaults, nextGroupColor, nextGroupName } from "../../src/cellucid/web/highlights.js";

const group = (name, color) => ({ name, color, cells: new Uint32Array(0) });

test("the next group name counts up from the groups there are, skipping names taken", () => {
  assert.equal(nextGroupName([]), "group 1");
  assert.equal(nextGroupName([group("a", "#000000")]), "group 2");
  assert.equal(nextGroupName([group("group 2", "#000000")]), "group 3");
  assert.equal(nextGroupName([group("group 3", "#000000"), group("x", "#000000")]), "group 4");
});

test("the next colour is the first palette colour no group uses", () => {
  const [first, second, third] = defaults.palette;
  assert.equal(nextGroupColor([]), first);
  assert.equal(nextGroupColor([group("a", first)]), second);
  assert.equal(nextGroupColor([group("a", first.toUpperCase()), group("b", "#123456")]), second);
  assert.equal(nextGroupColor([group("b", second)]), first);
  assert.equal(nextGroupColor([group("a", first), group("b", second)]), third);
});

test("the palette is distinct, holds no blue, and cycles when every colour is used", () => {
  const { palette } = defaults;
  assert.equal(new Set(palette).size, palette.length);
  for (const c of palette) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
    assert.ok(!(b > 150 && r < 100 && g < 170), `${c} is blue`);
  }
  const all = palette.map((c, i) => group(`g${i}`, c));
  assert.equal(nextGroupColor(all), palette[0]);
});
