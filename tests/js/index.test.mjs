import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL("../../src/cellucid/web/", import.meta.url));
const html = readFileSync(join(web, "index.html"), "utf8");

function modules(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return modules(p);
    return name.endsWith(".js") ? [relative(web, p).split("\\").join("/")] : [];
  });
}

// The vendored bundle is imported on first use (plots.js), never preloaded.
const isVendor = (m) => m.startsWith("vendor/");

test("index.html preloads every module and loads main.js", () => {
  assert.match(html, /<script type="module" src="web\/main\.js"><\/script>/);
  for (const m of modules(web)) {
    if (m === "main.js" || isVendor(m)) continue;
    assert.ok(html.includes(`<link rel="modulepreload" href="web/${m}">`), `web/${m} is not preloaded`);
  }
});

test("no absolute or external URLs, no inline scripts (CSP: script-src 'self')", () => {
  assert.doesNotMatch(html, /(src|href)="\/(?!\/)/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  for (const m of modules(web)) {
    const src = readFileSync(join(web, m), "utf8");
    assert.doesNotMatch(src, /fetch\(\s*["'`]\//, `${m} fetches an absolute path`);
    assert.doesNotMatch(src, /["'`]\/_cellucid/, `${m} uses an absolute /_cellucid path`);
    // W3C namespace names (SVG, XMLNS, XHTML) are identifiers, never fetched.
    assert.doesNotMatch(src, /https?:\/\/(?!www\.w3\.org\/)/, `${m} names an external URL`);
    assert.doesNotMatch(src, /\beval\(|new Function\(/, `${m} evaluates strings (CSP forbids it)`);
    if (!isVendor(m)) assert.ok(src.split("\n").length <= 600, `${m} is over 600 lines`);
  }
});

test("the vendored Plot bundle is only imported lazily, by plots.js", () => {
  assert.doesNotMatch(html, /vendor\//);
  for (const m of modules(web)) {
    if (isVendor(m)) continue;
    const src = readFileSync(join(web, m), "utf8");
    assert.doesNotMatch(src, /^\s*import\b[^(]*["'][^"']*vendor\//m, `${m} imports the vendored bundle statically`);
  }
  assert.match(readFileSync(join(web, "plots.js"), "utf8"), /import\("\.\/vendor\/plot\.js"\)/);
});
