import test from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadPlot } from "../../src/cellucid/web/plots.js";

const vendor = fileURLToPath(new URL("../../src/cellucid/web/vendor/", import.meta.url));

test("Plot is imported once; a failed import is tried again", async () => {
  let calls = 0;
  await assert.rejects(loadPlot(async () => { calls += 1; throw new Error("offline"); }), /cannot load the plotting library: offline/);
  const fake = { plot() {} };
  const first = loadPlot(async () => { calls += 1; return fake; });
  const again = loadPlot(async () => { calls += 1; return {}; });
  assert.equal(first, again);
  assert.equal(await first, fake);
  assert.equal(calls, 2);
});

test("the vendored bundle is an ES module with the marks the panels use", async () => {
  const Plot = await import(new URL("plot.js", `file://${vendor}`).href);
  for (const name of ["plot", "dot", "areaX", "ruleX", "text"]) assert.equal(typeof Plot[name], "function", name);
  assert.match(readFileSync(`${vendor}plot.js`, "utf8").split("\n")[0], /^\/\/ Observable Plot \d+\.\d+\.\d+ /);
});

test("every package bundled has its licence next to the bundle", () => {
  const listing = readFileSync(`${vendor}LICENSES/README.txt`, "utf8");
  const packages = listing.split("\n").filter((l) => /^\S+ \d+\.\d+\.\d+ \(/.test(l)).map((l) => l.split(" ")[0]);
  assert.ok(packages.includes("@observablehq/plot") && packages.includes("d3-array"), packages.join(", "));
  for (const name of packages) assert.ok(existsSync(`${vendor}LICENSES/${name.replace(/^@/, "").replace("/", "__")}.txt`), name);
  assert.equal(readdirSync(`${vendor}LICENSES`).length, packages.length + 1);
});
