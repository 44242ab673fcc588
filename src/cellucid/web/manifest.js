// The manifest as the live loop sees it (spec: manifest `revision`, per-entry `version` and
// `title`): reading those fields with their defaults, the revision rule of `setColorBy` /
// `setEmbedding`, and `refresh`, which re-reads the manifest and re-applies what changed while
// keeping the camera, selection, highlight groups and visibility.
// A manifest without these fields (files, older servers) reads as revision 0, version 0, title = name.

/** The manifest's revision; 0 when absent or not a number. */
export function revisionOf(manifest) {
  const r = manifest ? Number(manifest.revision) : NaN;
  return Number.isFinite(r) ? r : 0;
}

/** An obs or embedding entry's version; 0 when absent or not a number. */
export function versionOf(entry) {
  const v = entry ? Number(entry.version) : NaN;
  return Number.isFinite(v) ? v : 0;
}

/** What the legend, colour bar and menus show for an entry: its `title`, else its name. */
export function titleOf(entry) {
  return entry && typeof entry.title === "string" && entry.title ? entry.title : entry.name;
}

/** The revision rule: a command's `revision` newer than the page's means "re-fetch the manifest first". */
export function isNewer(commandRevision, pageRevision) {
  if (commandRevision === null || commandRevision === undefined) return false;
  const r = Number(commandRevision);
  return Number.isFinite(r) && r > pageRevision;
}

/**
 * What a manifest says of something applied earlier (`applied`: {name, version, title}) among
 * `entries`: "gone" (no entry of that name, or one that cannot be shown), "changed" (another
 * version or title), else "current".
 */
export function staleness(applied, entries) {
  const entry = entries.find((e) => e.name === applied.name);
  if (!entry || entry.kind === "uncolorable") return "gone";
  if (versionOf(entry) !== versionOf(applied) || titleOf(entry) !== (applied.title ?? applied.name)) return "changed";
  return "current";
}

// The number of the latest reload started, per app: an older one that finishes later is dropped.
const latestReload = new WeakMap();

/**
 * Fetch the manifest and make it the app's (`changed("manifest")` rebuilds the menus). Of
 * overlapping reloads the last one started wins. Resolves to the app's manifest.
 */
export async function reloadManifest(app) {
  const ticket = (latestReload.get(app) || 0) + 1;
  latestReload.set(app, ticket);
  const manifest = await app.data.manifest();
  if (ticket === latestReload.get(app)) app.replaceManifest(manifest);
  return app.manifest;
}

/** The revision rule applied: reload the manifest when `revision` is newer than the app's. */
export async function syncRevision(app, revision) {
  if (isNewer(revision, revisionOf(app.manifest))) await reloadManifest(app);
}

/**
 * The `refresh` command: reload the manifest, then re-fetch and re-apply the obs column coloured
 * by and the embedding shown when their version changed. A new embedding version fits the view
 * again (its coordinates moved); a new colour version leaves the camera alone. A column that is
 * gone leaves uniform colour; an embedding that is gone gives way to the default one.
 */
export async function refreshView(app) {
  const manifest = await reloadManifest(app);
  const tasks = [];
  const color = app.colorBy;
  if (color && color.kind === "obs") {
    const state = staleness({ name: color.field, version: color.version, title: color.title }, manifest.obs);
    if (state === "gone") app.applyUniform();
    else if (state === "changed") tasks.push(app.setColorBy(color.field, "obs"));
  }
  const shown = app.embedding;
  if (shown) {
    const state = staleness(shown, manifest.embeddings);
    if (state === "gone" && manifest.embeddings.length) {
      tasks.push(app.setEmbedding(manifest.default_embedding || manifest.embeddings[0].name));
    } else if (state === "changed") {
      const entry = manifest.embeddings.find((e) => e.name === shown.name);
      if (versionOf(entry) !== shown.version) tasks.push(app.setEmbedding(shown.name));
      else {
        shown.title = titleOf(entry);
        app.changed("embedding");
      }
    }
  }
  await Promise.all(tasks);
}
