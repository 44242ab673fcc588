import test from "node:test";
import assert from "node:assert/strict";
import { FLAG_HIDDEN, FLAG_INVALID, FLAG_SELECTED, FLAGS_NOT_DRAWN, MISSING_RGB } from "../../src/cellucid/web/constants.js";
import { PASSES, constantDefines, pointShaders } from "../../src/cellucid/web/shaders.js";

test("the shared constants reach the shaders as #defines generated from constants.js", () => {
  const defines = constantDefines();
  assert.match(defines, new RegExp(`^#define FLAG_HIDDEN ${FLAG_HIDDEN}u$`, "m"));
  assert.match(defines, new RegExp(`^#define FLAG_INVALID ${FLAG_INVALID}u$`, "m"));
  assert.match(defines, new RegExp(`^#define FLAG_SELECTED ${FLAG_SELECTED}u$`, "m"));
  assert.match(defines, new RegExp(`^#define FLAGS_NOT_DRAWN ${FLAGS_NOT_DRAWN}u$`, "m"));
  const [r, g, b] = /#define MISSING_COLOR vec3\(([^,]+), ([^,]+), ([^)]+)\)/.exec(defines).slice(1).map(Number);
  assert.deepEqual([r, g, b].map((v) => Math.round(v * 255)), MISSING_RGB);
});

test("every program starts with #version, then its pass, then the constants; no literal flag masks", () => {
  for (const pass of PASSES) {
    for (const perspective of [false, true]) {
      const { vertex, fragment } = pointShaders(pass, perspective);
      for (const src of [vertex, fragment]) {
        assert.ok(src.startsWith(`#version 300 es\n#define ${pass}\n`));
        assert.equal(src.includes("#define PERSPECTIVE\n"), perspective);
        assert.ok(src.includes(constantDefines()));
      }
      assert.match(vertex, /a_flags & FLAGS_NOT_DRAWN/);
      assert.match(vertex, /a_flags & FLAG_SELECTED/);
      assert.doesNotMatch(vertex, /a_flags & \d/);
      assert.match(vertex, /MISSING_COLOR/);
    }
  }
});
