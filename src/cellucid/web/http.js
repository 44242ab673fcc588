// What the clients of the Python server (bridge, stream, commands, data) share about HTTP.

/** `given`, or the page's fetch. */
export function fetcher(given) {
  // Called through globalThis: a detached `fetch` throws "Illegal invocation".
  return given || ((...a) => globalThis.fetch(...a));
}

/** The message of a refused reply: the server's JSON `message`, else `fallback`. */
export async function replyMessage(res, fallback) {
  try {
    return (await res.json()).message || fallback;
  } catch {
    return fallback;
  }
}

/** Whether a reply status means the server no longer knows this viewer (docs/protocol.md). */
export function viewerGone(status) {
  return status === 403 || status === 404;
}
