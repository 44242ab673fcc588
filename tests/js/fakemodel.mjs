// A stand-in for an anywidget model: traits, `send` recorded, `on`/`off`, and `emit` to deliver
// messages as the kernel would.

/** A fake anywidget model holding `values` as its traits. */
export function fakeModel(values = {}) {
  const handlers = new Map();
  return {
    values,
    sent: [],
    get: (key) => values[key],
    set(key, value) {
      values[key] = value;
      this.emit(`change:${key}`);
    },
    on(name, fn) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name).add(fn);
    },
    off(name, fn) {
      if (handlers.has(name)) handlers.get(name).delete(fn);
    },
    send(msg, callbacks, buffers = []) {
      this.sent.push({ msg, callbacks, buffers });
    },
    emit(name, ...args) {
      for (const fn of [...(handlers.get(name) || [])]) fn(...args);
    },
    listeners: (name) => (handlers.has(name) ? handlers.get(name).size : 0),
  };
}

/** Reply to `request` (a sent message) over `model`: `body` (bytes) cut into `parts`, delivered in `order`. */
export function reply(model, request, { status = 200, headers = {}, body = new Uint8Array(0), parts = 1, order } = {}) {
  const size = Math.ceil(body.length / parts);
  const slices = Array.from({ length: parts }, (_, i) => body.subarray(i * size, (i + 1) * size));
  for (const i of order || slices.map((_, i) => i)) {
    const part = slices[i];
    model.emit("msg:custom", { kind: "response", rid: request.msg.rid, status, headers, part: i, parts },
      [new DataView(part.buffer, part.byteOffset, part.byteLength)]);
  }
}
