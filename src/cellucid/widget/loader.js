// The notebook widget's front end (anywidget): shows the viewer in an iframe. When the notebook
// page reaches the kernel's server over HTTP (`http_url` answers its health check), the iframe
// loads the viewer from there, as the plain iframe output does. When it cannot (a remote kernel,
// an HTTPS page and an HTTP server, a proxy that is missing), the iframe is a `srcdoc` document
// running the app script (`app_js`, built by webdeps/) from a blob URL, and every request of the
// app goes over the widget's comm (`createCommFetch`, exported by that script). Plain ES module,
// not built: anywidget loads it from the `_esm` text.

export const defaults = {
  probeTimeoutMs: 1500,
  healthPath: "_cellucid/health",
};

const FRAME_STYLE = (height) => `border:0;width:100%;height:${height}px;display:block`;

// The browser's timers (this module stands alone: it cannot import the app's `clock.js`).
const timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id) };

/**
 * Whether the viewer page can be loaded from `httpUrl` (ends with "/"): GET its health endpoint
 * within `timeoutMs` (on `clock`, the browser's timers unless a test gives its own). Resolves
 * `{ok, reason}`; `reason` says what the probe saw. A cross-origin
 * server that sends no CORS headers cannot be read: an opaque answer to a `no-cors` retry still
 * proves it reachable.
 */
export async function probeServer(httpUrl, { fetch = (...a) => globalThis.fetch(...a), timeoutMs = defaults.probeTimeoutMs, clock = timers } = {}) {
  if (!httpUrl) return { ok: false, reason: "no HTTP address for the kernel's server" };
  const url = `${httpUrl}${defaults.healthPath}`;
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => { timedOut = true; ctrl.abort(); }, timeoutMs);
  const get = (mode) => fetch(url, { cache: "no-store", mode, signal: ctrl.signal });
  try {
    let res;
    try {
      res = await get("cors");
    } catch (err) {
      if (timedOut || !(err instanceof TypeError)) throw err;
      res = await get("no-cors");
      if (res.type === "opaque") return { ok: true, reason: `${url} answered (cross-origin, so its body is not readable)` };
    }
    if (!res.ok) return { ok: false, reason: `${url} answered HTTP ${res.status}` };
    let body = null;
    try { body = await res.json(); } catch { body = null; }
    if (body && body.status === "ok") return { ok: true, reason: `${url} answered {"status":"ok"}` };
    return { ok: false, reason: `${url} answered, but not as a cellucid server` };
  } catch (err) {
    if (timedOut) return { ok: false, reason: `no answer from ${url} within ${timeoutMs / 1000} s` };
    return { ok: false, reason: `${url} could not be reached (network error: ${err && err.message ? err.message : err})` };
  } finally {
    clock.clearTimeout(timer);
  }
}

/** The viewer page's URL on the kernel's server: `{httpUrl}?viewerId=…&viewerToken=…`. */
export function frameSrc(httpUrl, viewerId, viewerToken) {
  return `${httpUrl}?viewerId=${encodeURIComponent(viewerId)}&viewerToken=${encodeURIComponent(viewerToken)}`;
}

/**
 * The `srcdoc` document of the comm path: `html` (the viewer page's body markup, with or without
 * its `<body>` tags), `css` inline, and the app as a module script from `scriptUrl`.
 */
export function srcdocFor({ html, css, scriptUrl }) {
  const inner = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html || "");
  const body = inner ? inner[1] : html || "";
  const style = String(css || "").replace(/<\/style/gi, "<\\/style");
  const src = String(scriptUrl).replace(/"/g, "&quot;");
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>cellucid</title>' +
    `<link rel="icon" href="data:,"><style>${style}</style></head><body>${body}` +
    `<script type="module" src="${src}"></script></body></html>`;
}

/** What the comm path tells Python (the `transport` event's `reason`), from the probe's reason. */
export function commReason(probeReason) {
  return `the notebook page could not load the viewer from the kernel's server (${probeReason}); using the notebook's comm`;
}

function browserEnv() {
  return {
    fetch: (...a) => globalThis.fetch(...a),
    importModule: (url) => import(/* webpackIgnore: true */ url),
    createObjectURL: (blob) => URL.createObjectURL(blob),
    revokeObjectURL: (url) => URL.revokeObjectURL(url),
    probeTimeoutMs: defaults.probeTimeoutMs,
  };
}

/**
 * Show the viewer of `model` in `el`: probe, then the HTTP iframe or the comm iframe. Returns the
 * cleanup (idempotent; also run when `signal` aborts): closes the comm fetch (rejecting what is
 * pending), revokes the app script's blob URL, removes the output. `env` replaces the browser's
 * fetch, import, createObjectURL/revokeObjectURL (tests). `cleanup.started` resolves to the
 * transport chosen (`{mode, reason}`), or null once removed first.
 */
export function mount({ model, el, signal }, env = browserEnv()) {
  const doc = el.ownerDocument || globalThis.document;
  const auth = { viewerId: String(model.get("viewer_id") || ""), viewerToken: String(model.get("viewer_token") || "") };
  const httpUrl = String(model.get("http_url") || "");
  const box = doc.createElement("div");
  box.className = "cellucid-output";
  box.setAttribute("data-cellucid-viewer", auth.viewerId);
  box.style.width = "100%";
  el.appendChild(box);
  const iframe = doc.createElement("iframe");
  const size = () => {
    const h = Math.max(1, Math.round(Number(model.get("height")) || 600));
    iframe.setAttribute("width", "100%");
    iframe.setAttribute("height", String(h));
    iframe.setAttribute("style", FRAME_STYLE(h));
  };
  iframe.setAttribute("title", `cellucid viewer ${auth.viewerId}`);
  iframe.setAttribute("allow", "clipboard-write");
  iframe.setAttribute("loading", "eager");
  size();
  model.on("change:height", size);

  const state = { disposed: false, blobUrl: null, commFetch: null };
  const cleanup = () => {
    if (state.disposed) return;
    state.disposed = true;
    model.off("change:height", size);
    if (state.commFetch) state.commFetch.close("the viewer was removed from the notebook");
    if (state.blobUrl) env.revokeObjectURL(state.blobUrl);
    box.remove();
  };
  if (signal) {
    if (signal.aborted) cleanup();
    else signal.addEventListener("abort", cleanup, { once: true });
  }

  cleanup.started = (async () => {
    const probe = await probeServer(httpUrl, { fetch: env.fetch, timeoutMs: env.probeTimeoutMs ?? defaults.probeTimeoutMs, clock: env.clock });
    if (state.disposed) return null;
    if (probe.ok) {
      iframe.setAttribute("src", frameSrc(httpUrl, auth.viewerId, auth.viewerToken));
      box.appendChild(iframe);
      return { mode: "http", reason: probe.reason };
    }
    const reason = commReason(probe.reason);
    try {
      state.blobUrl = env.createObjectURL(new Blob([String(model.get("app_js") || "")], { type: "text/javascript" }));
      const app = await env.importModule(state.blobUrl);
      if (state.disposed) return null;
      state.commFetch = app.createCommFetch(model);
    } catch (err) {
      if (state.disposed) return null;
      const p = doc.createElement("p");
      p.setAttribute("role", "alert");
      p.textContent = `cellucid could not start the viewer in this notebook (${err && err.message ? err.message : err}). ` +
        `The kernel's server is not reachable from this page either: ${probe.reason}.`;
      box.appendChild(p);
      return { mode: "error", reason: p.textContent };
    }
    // Set before srcdoc: the app reads it from `window.frameElement` as it starts.
    iframe.cellucid = { auth, fetch: state.commFetch, mode: "comm", reason };
    iframe.srcdoc = srcdocFor({ html: model.get("app_html"), css: model.get("app_css"), scriptUrl: state.blobUrl });
    box.appendChild(iframe);
    return { mode: "comm", reason };
  })();
  return cleanup;
}

export default {
  /** anywidget's render: `el` shows the viewer; the returned function removes it. */
  render({ model, el, signal }) {
    return mount({ model, el, signal });
  },
};
