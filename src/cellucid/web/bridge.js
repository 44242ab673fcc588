// Events from the page to Python: POST _cellucid/events, one at a time and in order, retried
// with backoff on network errors, 429 (honouring Retry-After) and 5xx; hover throttled.

import { encodeCells } from "./cells.js";
import { realClock } from "./clock.js";
import { fetcher, replyMessage, viewerGone } from "./http.js";

export const defaults = {
  endpoint: "_cellucid/events",
  keepaliveMaxBytes: 60 * 1024,
  hoverIntervalMs: 50,
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 8000,
  consoleMaxChars: 4000,
};

/** A random per-page prefix for event ids, so ids stay unique across reloads. */
export function randomPrefix() {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, "0")).join("");
}

/** Delay before retry `attempt` (0-based): Retry-After when the server gave one, else doubling backoff. */
export function retryDelay(attempt, retryAfterHeader, options = defaults) {
  const secs = Number(retryAfterHeader);
  if (retryAfterHeader != null && retryAfterHeader !== "" && Number.isFinite(secs) && secs >= 0) {
    return Math.min(secs * 1000, options.maxDelayMs * 4);
  }
  return Math.min(options.baseDelayMs * 2 ** attempt, options.maxDelayMs);
}

/** Whether a reply status is worth retrying. */
export function isRetryable(status) {
  return status === 429 || status >= 500;
}

export class Bridge {
  /**
   * @param {object} opts viewerId, viewerToken, nCells; optional fetch, clock (`clock.js`), sleep, now,
   *   onGiveUp(type, reason), onGone(status) (the server no longer knows this viewer),
   *   onRefused(type, message) (Python refused the event: bad input), onDelivered.
   */
  constructor(opts) {
    this.viewerId = opts.viewerId;
    this.viewerToken = opts.viewerToken;
    this.nCells = opts.nCells ?? 0;
    this.options = { ...defaults, ...(opts.options || {}) };
    this.fetch = fetcher(opts.fetch);
    this.clock = opts.clock || realClock;
    this.sleep = opts.sleep || this.clock.sleep;
    this.now = opts.now || this.clock.now;
    this.onGiveUp = opts.onGiveUp || (() => {});
    this.onGone = opts.onGone || (() => {});
    this.onRefused = opts.onRefused || (() => {});
    this.log = opts.log || (() => {});
    this.prefix = opts.prefix || randomPrefix();
    this.counter = 0;
    this.queue = [];
    this.running = false;
    this.frozen = false;
    this.idle = Promise.resolve();
    this.hover = { last: undefined, pending: undefined, lastSentAt: -Infinity, timer: null };
  }

  nextEventId() {
    this.counter += 1;
    return `${this.prefix}-${this.counter}`;
  }

  /**
   * Queue an event. `payload.cells` (a sorted Uint32Array or array) is put in its smaller wire form.
   * Resolves to true once delivered, false when dropped or given up.
   */
  send(type, payload = {}) {
    if (this.frozen) return Promise.resolve(false);
    const eventId = this.nextEventId();
    const body = this.buildBody(type, eventId, payload);
    return new Promise((resolve) => {
      this.queue.push({ type, body, resolve });
      this.pump();
    });
  }

  async buildBody(type, eventId, payload) {
    const out = { type, viewerId: this.viewerId, viewerToken: this.viewerToken, eventId, ...payload };
    if (payload.cells && typeof payload.cells.length === "number") out.cells = await encodeCells(payload.cells, this.nCells);
    return JSON.stringify(out);
  }

  /** Hover: sent only when the cell changes, at most once per `hoverIntervalMs`, newest wins. */
  sendHover(cell, position) {
    const h = this.hover;
    h.pending = { cell, position };
    if (h.timer) return;
    const wait = h.lastSentAt + this.options.hoverIntervalMs - this.now();
    if (wait <= 0) this.flushHover();
    else h.timer = this.clock.setTimeout(() => { h.timer = null; this.flushHover(); }, wait);
  }

  flushHover() {
    const h = this.hover;
    const p = h.pending;
    h.pending = undefined;
    if (!p || p.cell === h.last) return;
    h.last = p.cell;
    h.lastSentAt = this.now();
    // A hover still waiting in the queue is stale now: replace it (newest wins).
    const queued = this.queue.findIndex((q) => q.type === "hover" && !q.started);
    if (queued >= 0) {
      const [old] = this.queue.splice(queued, 1);
      old.resolve(false);
    }
    this.send("hover", { cell: p.cell, position: p.position });
  }

  pump() {
    if (this.running) return;
    this.running = true;
    this.idle = (async () => {
      while (this.queue.length) {
        const item = this.queue[0];
        item.started = true;
        const ok = await this.deliver(item);
        this.queue.shift();
        item.resolve(ok);
      }
      this.running = false;
    })();
  }

  async deliver(item) {
    let body;
    try {
      body = await item.body;
    } catch (err) {
      this.log(`cellucid: could not encode ${item.type} event: ${err}`);
      return false;
    }
    const o = this.options;
    let lastReason = "";
    for (let attempt = 0; attempt < o.maxAttempts; attempt++) {
      let res;
      try {
        res = await this.fetch(o.endpoint, {
          method: "POST",
          keepalive: body.length < o.keepaliveMaxBytes,
          headers: { "Content-Type": "application/json" },
          body,
        });
      } catch (err) {
        lastReason = `network error: ${err && err.message ? err.message : err}`;
        await this.sleep(retryDelay(attempt, null, o));
        continue;
      }
      if (res.ok) return true;
      if (isRetryable(res.status)) {
        lastReason = `HTTP ${res.status}`;
        await this.sleep(retryDelay(attempt, res.headers && res.headers.get("Retry-After"), o));
        continue;
      }
      const message = await replyMessage(res, "");
      if (viewerGone(res.status)) this.onGone(res.status, message);
      else this.onRefused(item.type, message);
      this.log(`cellucid: ${item.type} event refused (HTTP ${res.status}) ${message}`);
      return false;
    }
    this.onGiveUp(item.type, lastReason);
    return false;
  }

  /** Stop sending: later events are dropped (after `viewer.stop()` froze the page). */
  freeze() {
    this.frozen = true;
  }
}

/** Text of console arguments, as one message of at most `maxChars` characters. */
export function formatConsoleArgs(args, maxChars = defaults.consoleMaxChars) {
  const parts = Array.from(args, (a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return a.stack || `${a.name}: ${a.message}`;
    try { return JSON.stringify(a); } catch { return String(a); }
  });
  const msg = parts.join(" ");
  return msg.length > maxChars ? msg.slice(0, maxChars - 1) + "…" : msg;
}

/**
 * Forward console.warn/error, window.onerror and unhandled rejections as `console` events.
 * Messages the bridge logs about itself go to the original console only (no feedback loop).
 */
export function forwardConsole(bridge, win = globalThis) {
  const original = { warn: win.console.warn.bind(win.console), error: win.console.error.bind(win.console) };
  let inside = false;
  const post = (level, message, extra = {}) => {
    if (inside) return;
    inside = true;
    try {
      bridge.send("console", { level, message: formatConsoleArgs([message]), ts: new Date().toISOString(), ...extra });
    } finally {
      inside = false;
    }
  };
  for (const level of ["warn", "error"]) {
    win.console[level] = (...args) => {
      original[level](...args);
      post(level, formatConsoleArgs(args));
    };
  }
  if (win.addEventListener) {
    win.addEventListener("error", (e) => {
      post("error", e.message || String(e.error), { filename: e.filename, lineno: e.lineno, colno: e.colno });
    });
    win.addEventListener("unhandledrejection", (e) => {
      const r = e.reason;
      post("error", `Unhandled promise rejection: ${r && r.stack ? r.stack : r}`);
    });
  }
  return original;
}
