// The command handlers: each command from Python (docs/protocol.md, "Command catalogue") applied
// to the app and acknowledged with a `command_result` event, refused ones with the reason.
// How commands arrive is `stream.js`.

import { authQuery, redactToken } from "./auth.js";
import { decodeCells } from "./cells.js";
import { fetcher, replyMessage } from "./http.js";
import { defaults as groupDefaults } from "./highlights.js";
import { imageUploadUrl } from "./image.js";
import { refreshView, syncRevision } from "./manifest.js";
import { KernelCells } from "./lod/sets.js";
import { captureView } from "./viewstate.js";

export const defaults = {
  bundlePath: "_cellucid/session_bundle",
};

/** The commands that change what the view shows (docs/protocol.md, "Command catalogue"). */
function viewHandlers(app) {
  // A tiled page is sent a reference to a set the kernel holds (`mask`) instead of cells.
  const cellsOf = async (c) => (c.mask ? new KernelCells(c.mask.name, c.mask.version, c.mask.count) : decodeCells(c.cells, app.n));
  return {
    async highlight(c) {
      const cells = await cellsOf(c);
      await app.setHighlight(String(c.name ?? `${groupDefaults.namePrefix} ${app.highlights.size + 1}`), c.color || "#ff0000", cells);
    },
    async clearHighlights(c) {
      app.clearHighlights(c.name ?? null);
    },
    async setColorBy(c) {
      await syncRevision(app, c.revision);
      await app.setColorBy(c.field, c.kind);
    },
    async setVisibility(c) {
      const cells = c.mask || c.cells != null ? await cellsOf(c) : null;
      await app.setVisibility(cells, c.visible !== false);
    },
    async resetCamera() {
      app.resetCamera();
    },
    async setEmbedding(c) {
      await syncRevision(app, c.revision);
      await app.setEmbedding(c.name);
    },
    async refresh() {
      await refreshView(app);
    },
    async showOnly(c) {
      await app.showOnly(await cellsOf(c));
    },
    async showAll(c) {
      await app.showAll(c.mask ? await cellsOf(c) : undefined);
    },
    async select(c) {
      await app.select(await cellsOf(c), { source: "python", mode: "replace" });
    },
    // A set the kernel holds changed (a tiled page reads its bits for the tiles it draws).
    async masks(c) {
      if (app.updateSets) await app.updateSets(c.masks);
    },
  };
}

/** The commands that ask the page for something: a reply event, an upload, a panel's result. */
function askingHandlers(env, fetch) {
  const { app, bridge } = env;
  const needs = (name) => {
    if (typeof env[name] !== "function") throw new Error(`this page cannot ${name}`);
    return env[name];
  };
  return {
    async ping(c) {
      bridge.send("pong", { requestId: c.requestId, t: Date.now() });
    },
    async debug_snapshot(c) {
      bridge.send("debug_snapshot", {
        requestId: c.requestId,
        ts: new Date().toISOString(),
        href: redactToken(location.href),
        origin: location.origin,
        userAgent: navigator.userAgent,
        webgl: app.renderer.webglRenderer,
        connected: env.commandsState().connected,
        n_cells: app.n,
        embedding: app.embedding ? app.embedding.name : null,
        frames: app.frames,
      });
    },
    async requestSessionBundle(c) {
      const bundle = env.views ? await env.views.capture() : await captureView(app);
      const url = `${defaults.bundlePath}?${authQuery(env.auth)}&requestId=${encodeURIComponent(c.requestId)}`;
      const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(bundle) });
      if (!res.ok) throw new Error(`session bundle upload failed: ${await replyMessage(res, `HTTP ${res.status}`)}`);
    },
    async restoreSession(c) {
      if (!env.views) throw new Error("this page cannot restore a session");
      await syncRevision(app, c.revision);
      await env.views.restore(c);
    },
    async showComparison(c) {
      await needs("showComparison")(c);
    },
    async showGenePlot(c) {
      await needs("showGenePlot")(c);
    },
    async requestImage(c) {
      const png = await needs("renderImage")(c.scale ?? 1);
      const res = await fetch(imageUploadUrl(env.auth, c.requestId), { method: "POST", headers: { "Content-Type": "image/png" }, body: png });
      if (!res.ok) throw new Error(`image upload failed: ${await replyMessage(res, `HTTP ${res.status}`)}`);
    },
    async freeze() {},
  };
}

/**
 * A function applying one command. `env`: app, bridge, commandsState() → {connected},
 * onFreeze(message), auth {viewerId, viewerToken}; showComparison(command),
 * showGenePlot(command) (the panels), renderImage(scale) → PNG Blob; views {capture(),
 * restore(view)} (viewstate.js `createViewKeeper`; without it the view is captured without its
 * panels and cannot be restored); optional fetch.
 */
export function createCommandHandler(env) {
  const { app, bridge } = env;
  const handlers = { ...viewHandlers(app), ...askingHandlers(env, fetcher(env.fetch)) };

  return async function apply(command) {
    const handler = Object.prototype.hasOwnProperty.call(handlers, command.type) ? handlers[command.type] : null;
    let ok = true, error;
    try {
      if (handler) {
        await handler(command);
        // Draw before acknowledging, so "acknowledged" means "visible".
        if (app.frameScheduled) app.drawNow();
      } else window.dispatchEvent(new CustomEvent("cellucid-command", { detail: command }));
    } catch (err) {
      ok = false;
      error = err && err.message ? err.message : String(err);
    }
    const ack = bridge.send("command_result", ok ? { id: command.id, ok } : { id: command.id, ok, error });
    if (command.type === "freeze") {
      await ack;
      env.onFreeze(command.message);
    }
  };
}
