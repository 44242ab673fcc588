// A `fetch` over the notebook widget's comm (the kernel's own channel), for pages that cannot
// reach the Python server over HTTP. Requests go out as `{kind: "request", rid, …}` messages; the
// reply comes back as `{kind: "response", rid, status, headers, part, parts}` messages, each with
// one slice of the body as its buffer, and resolves a real `Response`. The page's modules cannot
// tell it from `window.fetch`. README.md, "Two transports", has the message shapes.

import { realClock } from "./clock.js";

export const defaults = {
  pollPath: "_cellucid/commands/poll",
  pollTimeoutMs: 35000,
  timeoutMs: 20000,
};

// Statuses whose Response must have a null body (the Response constructor throws otherwise).
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch(url, init)`-compatible function over `model` (an anywidget model: `send(msg,
 * callbacks, buffers)`, `on`/`off("msg:custom", …)`). Text bodies travel in the message, binary
 * ones (Blob, ArrayBuffer, typed arrays) as its buffer. A request with no reply for
 * `options.timeoutMs` (`pollTimeoutMs` for the command long-poll, `init.timeoutMs` for a request
 * that says how long its answer may take; the clock — `options.clock`, `clock.js` — restarts
 * with each part received) rejects with a TypeError, as a network failure does; `init.signal`
 * aborts. (`window.fetch` ignores `init.timeoutMs`: over HTTP a request has no such limit.)
 * The function has `close(reason)` (stop listening, reject what is pending) and `pending()`.
 */
export function createCommFetch(model, options = {}) {
  const { clock = realClock, ...rest } = options;
  const o = { ...defaults, ...rest };
  const inflight = new Map();
  // Two views of one widget share its comm: a random base keeps their rids apart.
  const base = Math.floor(Math.random() * 2 ** 31) * 2 ** 20;
  let counter = 0;
  let closed = null;

  const onMessage = (msg, buffers) => {
    if (!msg || msg.kind !== "response") return;
    const req = inflight.get(msg.rid);
    if (req) req.receive(msg, buffers || []);
  };
  model.on("msg:custom", onMessage);

  function commFetch(input, init = {}) {
    return new Promise((resolve, reject) => {
      if (closed) { reject(new TypeError(closed)); return; }
      const url = typeof input === "string" ? input : String(input && input.url ? input.url : input);
      const signal = init.signal;
      if (signal && signal.aborted) { reject(abortReason(signal)); return; }
      const rid = base + ++counter;
      const limit = init.timeoutMs > 0 ? init.timeoutMs : url.split("?")[0].endsWith(o.pollPath) ? o.pollTimeoutMs : o.timeoutMs;
      const parts = [];
      let received = 0, head = null, timer = null;
      const finish = (fn, value) => {
        if (!inflight.has(rid)) return;
        inflight.delete(rid);
        clock.clearTimeout(timer);
        if (signal) signal.removeEventListener("abort", onAbort);
        fn(value);
      };
      const arm = () => {
        clock.clearTimeout(timer);
        timer = clock.setTimeout(() => finish(reject, new TypeError(
          `no reply from the Python kernel over the notebook comm within ${limit / 1000} s (${url.split("?")[0]})`)), limit);
      };
      const onAbort = () => finish(reject, abortReason(signal));
      const req = {
        receive(msg, buffers) {
          if (msg.error) { finish(reject, new TypeError(`the kernel could not answer ${url.split("?")[0]}: ${msg.error}`)); return; }
          const n = Math.max(1, Number(msg.parts) || 1);
          const i = Number(msg.part) || 0;
          if (!head) head = { status: msg.status, headers: msg.headers || {}, n };
          if (i < 0 || i >= head.n || parts[i] !== undefined) return;
          parts[i] = buffers[0] || new Uint8Array(0);
          received += 1;
          if (received < head.n) { arm(); return; }
          try {
            finish(resolve, toResponse(head.status, head.headers, parts));
          } catch (err) {
            finish(reject, new TypeError(`a bad reply over the notebook comm: ${err.message}`));
          }
        },
        fail(err) { finish(reject, err); },
      };
      inflight.set(rid, req);
      if (signal) signal.addEventListener("abort", onAbort);
      arm();
      encodeRequest(rid, url, init).then(
        ({ msg, buffers }) => { if (inflight.has(rid)) model.send(msg, undefined, buffers); },
      ).catch((err) => finish(reject, err instanceof TypeError ? err : new TypeError(String(err && err.message ? err.message : err))));
    });
  }

  /** Stop listening to the comm and reject every pending request with TypeError(`reason`). */
  commFetch.close = (reason = "the viewer was removed from the notebook") => {
    if (closed) return;
    closed = reason;
    model.off("msg:custom", onMessage);
    for (const req of [...inflight.values()]) req.fail(new TypeError(reason));
  };
  /** How many requests wait for their reply. */
  commFetch.pending = () => inflight.size;
  return commFetch;
}

/**
 * The request message for `init` (method, headers, body) and its buffers: a text body in `body`,
 * a binary one (Blob, ArrayBuffer, typed array or DataView, from any window) as buffers[0].
 */
export async function encodeRequest(rid, url, init = {}) {
  const method = String(init.method || "GET").toUpperCase();
  const headers = {};
  if (init.headers) for (const [k, v] of new Headers(init.headers)) headers[k.toLowerCase()] = v;
  const body = init.body;
  let text = null, buffers = [];
  if (body === undefined || body === null) {
    text = null;
  } else if (typeof body === "string") {
    text = body;
  } else if (isArrayBuffer(body) || ArrayBuffer.isView(body)) {
    buffers = [body];
  } else if (typeof body.arrayBuffer === "function" && typeof body.size === "number") {
    // A Blob, maybe from the app's iframe: `instanceof Blob` is false across windows.
    buffers = [await body.arrayBuffer()];
    if (body.type && !headers["content-type"]) headers["content-type"] = body.type;
  } else if (body instanceof URLSearchParams || Object.prototype.toString.call(body) === "[object URLSearchParams]") {
    text = String(body);
    if (!headers["content-type"]) headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8";
  } else {
    throw new TypeError(`this body cannot go over the notebook comm: ${Object.prototype.toString.call(body)}`);
  }
  const msg = { kind: "request", rid, method, url, headers, body: text };
  // A request that may take long asks the kernel for as long (seconds), as it waits as long.
  if (init.timeoutMs > 0) msg.timeout = init.timeoutMs / 1000;
  return { msg, buffers };
}

/** A Response of `status` with `headers` whose body is the `parts` (buffers) joined in order. */
export function toResponse(status, headers, parts) {
  const body = NULL_BODY_STATUSES.has(status) ? null : new Blob(parts);
  return new Response(body, { status, headers });
}

function isArrayBuffer(x) {
  return Object.prototype.toString.call(x) === "[object ArrayBuffer]";
}

function abortReason(signal) {
  return signal.reason !== undefined ? signal.reason : new DOMException("The operation was aborted.", "AbortError");
}
