import test from "node:test";
import assert from "node:assert/strict";
import { MISSING_CODE } from "../../src/cellucid/web/constants.js";
import { describeCell } from "../../src/cellucid/web/ui/tooltip.js";

test("describeCell names the cell and its value in the colouring, or missing", () => {
  assert.equal(describeCell(3, null), "cell 3");
  const cat = { type: "categorical", field: "leiden", categories: ["a", "b"], codes: Uint16Array.of(1, MISSING_CODE) };
  assert.equal(describeCell(0, cat), "cell 0 · leiden: b");
  assert.equal(describeCell(1, cat), "cell 1 · leiden: missing");
  const cont = { type: "continuous", field: "CD3E", raw: Float32Array.of(1.234567, NaN) };
  assert.equal(describeCell(0, cont), "cell 0 · CD3E: 1.235");
  assert.equal(describeCell(1, cont), "cell 1 · CD3E: missing");
});
