// Builds src/cellucid/widget/app.js: the viewer app (src/cellucid/web/main.js and everything it
// imports, the vendored Observable Plot included) as one minified ES module, which the notebook
// widget runs from a blob URL when the notebook page cannot reach the kernel's server. The output
// is committed and byte-identical on every rebuild; tests/test_widget_app.py rebuilds it into a
// temporary file and fails when the committed one is stale.
//
//   npm ci && npm run build:widget                       (writes src/cellucid/widget/app.js)
//   node build-widget.mjs --outfile /tmp/app.js          (writes elsewhere)

import { build } from "esbuild";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, "..", "src", "cellucid", "web");
const at = process.argv.indexOf("--outfile");
const outfile = at > 0 ? resolve(process.argv[at + 1]) : join(here, "..", "src", "cellucid", "widget", "app.js");

const result = await build({
  entryPoints: [join(web, "main.js")],
  absWorkingDir: web,
  bundle: true,
  // No splitting: the lazy `import("./vendor/plot.js")` of plots.js stays lazy (its module is
  // evaluated on first use) but lives in this one file, so nothing is fetched relative to a URL.
  splitting: false,
  format: "esm",
  minify: true,
  target: "es2022",
  legalComments: "none",
  charset: "utf8",
  write: false,
  logLevel: "warning",
  banner: { js: "// cellucid viewer app (src/cellucid/web) built by webdeps/build-widget.mjs; includes Observable Plot and d3, licences in cellucid/web/vendor/LICENSES/." },
});
const [out] = result.outputFiles;
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, out.contents);
console.log(`${outfile}: ${statSync(outfile).size} bytes`);
