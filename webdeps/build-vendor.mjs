// Builds src/cellucid/web/vendor/plot.js: Observable Plot and the parts of d3 (and its other
// dependencies) it uses, as one minified ES module, plus the licence of every package bundled in
// src/cellucid/web/vendor/LICENSES/. Run `npm ci && npm run build` in this folder; the output is
// committed, so running or testing cellucid never needs Node packages or a network.

import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "src", "cellucid", "web", "vendor");
const licenses = join(vendor, "LICENSES");
const modules = join(here, "node_modules");

/** The licence file name of package `name`: `@scope/pkg` → `scope__pkg.txt`. */
function licenseName(name) {
  return `${name.replace(/^@/, "").replace("/", "__")}.txt`;
}

/** The package (name, folder) that a bundled input path like `node_modules/d3-array/src/x.js` belongs to. */
function packageOf(input) {
  const parts = relative(here, join(here, input)).split(/[\\/]/);
  const at = parts.lastIndexOf("node_modules");
  if (at < 0) return null;
  const name = parts[at + 1].startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
  return { name, dir: join(...parts.slice(0, at + 1 + name.split("/").length)) };
}

function licenseFile(dir) {
  const name = readdirSync(join(here, dir)).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  if (!name) throw new Error(`no licence file in ${dir}`);
  return join(here, dir, name);
}

const plotVersion = JSON.parse(readFileSync(join(modules, "@observablehq", "plot", "package.json"), "utf8")).version;

const result = await build({
  stdin: { contents: 'export * from "@observablehq/plot";', resolveDir: here, sourcefile: "plot-entry.js", loader: "js" },
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "none",
  metafile: true,
  write: false,
  banner: { js: `// Observable Plot ${plotVersion} with d3, bundled by cellucid/webdeps/build-vendor.mjs. Licences: vendor/LICENSES/.` },
});

mkdirSync(vendor, { recursive: true });
rmSync(licenses, { recursive: true, force: true });
mkdirSync(licenses, { recursive: true });
const [out] = result.outputFiles;
writeFileSync(join(vendor, "plot.js"), out.contents);

// Licences of the packages whose code is in the output. The d3 modules resolve to prebuilt
// `dist/` files, which may inline their own dependencies (d3-delaunay: delaunator and
// robust-predicates), so those packages' dependencies are listed too.
const bundled = new Map();
const addWithDependencies = (name, dir) => {
  if (bundled.has(name)) return;
  bundled.set(name, dir);
  const meta = JSON.parse(readFileSync(join(here, dir, "package.json"), "utf8"));
  for (const dep of Object.keys(meta.dependencies || {})) addWithDependencies(dep, join("node_modules", dep));
};
const [output] = Object.values(result.metafile.outputs);
for (const [input, info] of Object.entries(output.inputs)) {
  const pkg = packageOf(input);
  if (!pkg || info.bytesInOutput === 0) continue;
  if (/[\\/]dist[\\/]/.test(input)) addWithDependencies(pkg.name, pkg.dir);
  else bundled.set(pkg.name, pkg.dir);
}
const lines = [];
for (const [name, dir] of [...bundled].sort(([a], [b]) => a.localeCompare(b))) {
  const meta = JSON.parse(readFileSync(join(here, dir, "package.json"), "utf8"));
  copyFileSync(licenseFile(dir), join(licenses, licenseName(name)));
  lines.push(`${name} ${meta.version} (${meta.license})`);
}
writeFileSync(join(licenses, "README.txt"),
  "Packages bundled into vendor/plot.js (name, version, licence); each one's licence text is the\n" +
  "file of the same name here (@scope/name as scope__name.txt).\n\n" + lines.join("\n") + "\n");
console.log(`vendor/plot.js: ${statSync(join(vendor, "plot.js")).size} bytes; ${lines.length} packages:\n  ${lines.join("\n  ")}`);
