import test from "node:test";
import assert from "node:assert/strict";
import { HTTP_REASON, pageTransport } from "../../src/cellucid/web/transport.js";

const page = (search, frameElement) => ({ location: { search }, frameElement });

test("the plain page: credentials from its URL, its own fetch, mode http", () => {
  const t = pageTransport(page("?viewerId=v1&viewerToken=tok", null));
  assert.deepEqual(t, { auth: { viewerId: "v1", viewerToken: "tok" }, fetch: undefined, mode: "http", reason: HTTP_REASON });
  assert.equal(HTTP_REASON, "the page reached the kernel's server directly");
});

test("the widget's srcdoc iframe: credentials, fetch and reason from frameElement.cellucid", () => {
  const fetch = async () => new Response("");
  const frame = { cellucid: { auth: { viewerId: "v2", viewerToken: "t2" }, fetch, mode: "comm", reason: "no answer within 1.5 s" } };
  const t = pageTransport(page("", frame));
  assert.deepEqual(t.auth, { viewerId: "v2", viewerToken: "t2" });
  assert.equal(t.fetch, fetch);
  assert.equal(t.mode, "comm");
  assert.equal(t.reason, "no answer within 1.5 s");
});

test("a cross-origin parent (frameElement null or throwing) or a frame without cellucid: the URL", () => {
  const throwing = { location: { search: "?viewerId=a&viewerToken=b" } };
  Object.defineProperty(throwing, "frameElement", { get() { throw new Error("SecurityError: cross-origin"); } });
  assert.equal(pageTransport(throwing).mode, "http");
  assert.equal(pageTransport(throwing).auth.viewerId, "a");
  assert.equal(pageTransport(page("?viewerId=c&viewerToken=d", {})).auth.viewerId, "c");
  // Half-set (no fetch) is not trusted.
  assert.equal(pageTransport(page("", { cellucid: { auth: { viewerId: "x", viewerToken: "y" } } })).mode, "http");
});
