// The command transport from Python: the SSE stream `_cellucid/commands` read with fetch (so the
// opening comment line counts as "bytes arrived"), a long-poll fallback when nothing arrives
// within 4 s (or from the start, with `sse: false`: the notebook comm carries no stream), and a
// watch on `_cellucid/health` that tells the page when the Python side is gone.
// What each command does is `commands.js`.

import { authQuery } from "./auth.js";
import { realClock } from "./clock.js";
import { fetcher, viewerGone } from "./http.js";

export const defaults = {
  streamPath: "_cellucid/commands",
  pollPath: "_cellucid/commands/poll",
  healthPath: "_cellucid/health",
  firstBytesTimeoutMs: 4000,
  pollWaitS: 25,
  reconnectDelayMs: 500,
  healthIntervalMs: 2000,
  healthTimeoutMs: 3000,
  sse: true,
};

/** Reads commands from Python and hands each to `onCommand` once, in order. */
export class CommandStream {
  /**
   * @param {object} opts viewerId, viewerToken, onCommand(command) → Promise (applied in order),
   *   onConnection({connected, gone, mode, reason}); optional fetch, clock (`clock.js`), options
   *   (`defaults`; `sse: false` long-polls from the start).
   */
  constructor(opts) {
    this.query = authQuery(opts);
    this.onCommand = opts.onCommand;
    this.onConnection = opts.onConnection || (() => {});
    this.fetch = fetcher(opts.fetch);
    this.options = { ...defaults, ...(opts.options || {}) };
    this.clock = opts.clock || realClock;
    this.mode = this.options.sse ? "sse" : "poll";
    this.lastSeq = 0;
    this.seen = new Set();
    this.chain = Promise.resolve();
    this.connected = false;
    this.gone = false;
    this.stopped = false;
    this.controller = null;
  }

  start() {
    this.loop();
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  setState(patch) {
    const before = { connected: this.connected, gone: this.gone };
    Object.assign(this, patch);
    if (before.connected !== this.connected || before.gone !== this.gone) {
      this.onConnection({ connected: this.connected, gone: this.gone, mode: this.mode, reason: patch.reason || "" });
    }
  }

  /** Queue one command for in-order application; a repeat of an id already seen is skipped. */
  receive(command, seq) {
    if (seq !== undefined && seq !== null && Number.isFinite(Number(seq))) this.lastSeq = Math.max(this.lastSeq, Number(seq));
    if (!command || typeof command !== "object") return;
    if (command.id !== undefined) {
      if (this.seen.has(command.id)) return;
      this.seen.add(command.id);
    }
    this.chain = this.chain.then(() => this.onCommand(command)).catch((err) => console.error("cellucid: command failed", err));
  }

  async loop() {
    let failures = 0;
    while (!this.stopped) {
      let outcome;
      try {
        outcome = this.mode === "sse" ? await this.readStream() : await this.pollOnce();
      } catch (err) {
        outcome = { error: err };
      }
      if (this.stopped) return;
      if (outcome.ok) { failures = 0; continue; }
      if (outcome.sawBytes) failures = 0;
      if (outcome.switchToPoll) { this.mode = "poll"; continue; }
      if (viewerGone(outcome.status)) {
        this.setState({ connected: false, gone: true, reason: `HTTP ${outcome.status}` });
        await this.waitForHealth(true);
        continue;
      }
      failures += 1;
      this.setState({ connected: false });
      if (!(await this.healthOk())) {
        this.setState({ gone: true, reason: "health check failed" });
        await this.waitForHealth(false);
      } else {
        await this.clock.sleep(this.options.reconnectDelayMs * Math.min(8, failures));
      }
    }
  }

  /** Poll health until the server answers (and, when `viewerMissing`, until the stream is back). */
  async waitForHealth(viewerMissing) {
    while (!this.stopped) {
      await this.clock.sleep(this.options.healthIntervalMs);
      if (await this.healthOk()) {
        if (!viewerMissing) this.setState({ gone: false, reason: "server back" });
        return;
      }
    }
  }

  async healthOk() {
    const ctrl = new AbortController();
    const timer = this.clock.setTimeout(() => ctrl.abort(), this.options.healthTimeoutMs);
    try {
      const res = await this.fetch(this.options.healthPath, { cache: "no-store", signal: ctrl.signal });
      return res.ok;
    } catch {
      return false;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  async readStream() {
    const ctrl = new AbortController();
    this.controller = ctrl;
    let sawBytes = false;
    let timedOut = false;
    const timer = this.clock.setTimeout(() => { if (!sawBytes) { timedOut = true; ctrl.abort(); } }, this.options.firstBytesTimeoutMs);
    try {
      const res = await this.fetch(`${this.options.streamPath}?${this.query}`, {
        headers: { Accept: "text/event-stream" },
        cache: "no-store",
        signal: ctrl.signal,
      });
      if (!res.ok) return { status: res.status };
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SSEParser((msg) => {
        let command;
        try { command = JSON.parse(msg.data); } catch { return; }
        this.receive(command, msg.id);
      });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (value && value.length && !sawBytes) {
          sawBytes = true;
          this.setState({ connected: true, gone: false, reason: "stream open" });
        }
        parser.push(decoder.decode(value, { stream: true }));
      }
      return { status: 0, sawBytes };
    } catch (err) {
      if (timedOut) return { switchToPoll: true };
      return { error: err, sawBytes };
    } finally {
      this.clock.clearTimeout(timer);
      if (sawBytes) this.setState({ connected: false });
    }
  }

  async pollOnce() {
    // The first poll answers at once, so the page knows it is connected without waiting.
    const wait = this.polled ? this.options.pollWaitS : 0;
    this.polled = true;
    const url = `${this.options.pollPath}?${this.query}&after=${this.lastSeq}&wait=${wait}`;
    const res = await this.fetch(url, { cache: "no-store" });
    if (!res.ok) return { status: res.status };
    const body = await res.json();
    this.setState({ connected: true, gone: false, reason: "polling" });
    for (const item of body.commands || []) this.receive(item.command, item.seq);
    return { ok: true };
  }
}

// Incremental Server-Sent Events parser (the WHATWG event-stream format), fed text chunks.

/** Parses an event stream; `onMessage({id, event, data})` fires per dispatched message. */
export class SSEParser {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.buffer = "";
    this.data = [];
    this.event = "";
    this.lastId = null;
    this.sawBytes = false;
  }

  /** Feed a decoded text chunk. */
  push(chunk) {
    if (chunk.length) this.sawBytes = true;
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = this.buffer.slice(start).search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const end = start + nl;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (this.buffer[end] === "\r" && end + 1 === this.buffer.length) break;
      const line = this.buffer.slice(start, end);
      start = end + (this.buffer.startsWith("\r\n", end) ? 2 : 1);
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === "") {
      if (this.data.length) {
        this.onMessage({ id: this.lastId, event: this.event || "message", data: this.data.join("\n") });
      }
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
  }
}
