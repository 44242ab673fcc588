// How this page talks to Python: to the kernel's server over HTTP with its own `fetch` and the
// credentials in its URL (the plain page, the notebook iframe), or through what the notebook
// widget's loader put on the iframe element (`frameElement.cellucid`: the credentials and a
// `fetch` over the kernel's comm, `commfetch.js`), when the notebook page cannot reach the server.

import { authFromSearch } from "./auth.js";

export const HTTP_REASON = "the page reached the kernel's server directly";

/**
 * `{auth: {viewerId, viewerToken}, fetch, mode: "http"|"comm", reason}` for the page in `win`:
 * from `win.frameElement.cellucid` when the widget loader set it, else from the page URL with
 * `fetch` undefined (the page's own). A cross-origin parent hides `frameElement` (null, or a
 * throw in older browsers): that is the plain HTTP case.
 */
export function pageTransport(win = globalThis) {
  let given = null;
  try {
    given = win.frameElement ? win.frameElement.cellucid : null;
  } catch {
    given = null;
  }
  if (given && given.auth && typeof given.fetch === "function") {
    return {
      auth: { viewerId: String(given.auth.viewerId || ""), viewerToken: String(given.auth.viewerToken || "") },
      fetch: given.fetch,
      mode: given.mode || "comm",
      reason: String(given.reason || ""),
    };
  }
  return { auth: authFromSearch(win.location ? win.location.search : ""), fetch: undefined, mode: "http", reason: HTTP_REASON };
}
