// The viewer's credentials (`viewerId`, `viewerToken`): read from the page URL, sent as a query
// string on every request that needs them, and kept out of diagnostics.

/** {viewerId, viewerToken} from a URL query string ("" for a missing one). */
export function authFromSearch(search) {
  const params = new URLSearchParams(search);
  return { viewerId: params.get("viewerId") || "", viewerToken: params.get("viewerToken") || "" };
}

/** `viewerId=…&viewerToken=…` (URL-encoded) for `auth` {viewerId, viewerToken}. */
export function authQuery(auth) {
  return `viewerId=${encodeURIComponent(auth.viewerId)}&viewerToken=${encodeURIComponent(auth.viewerToken)}`;
}

/** Remove the viewer token from a URL before it leaves the page in a diagnostic. */
export function redactToken(href) {
  return String(href).replace(/(viewerToken=)[^&#]*/g, "$1[redacted]");
}
