import test from "node:test";
import assert from "node:assert/strict";
import { authFromSearch, authQuery, redactToken } from "../../src/cellucid/web/auth.js";

test("authFromSearch reads both credentials, empty when absent", () => {
  assert.deepEqual(authFromSearch("?viewerId=a%20b&viewerToken=t&x=1"), { viewerId: "a b", viewerToken: "t" });
  assert.deepEqual(authFromSearch(""), { viewerId: "", viewerToken: "" });
});

test("authQuery encodes both credentials; authFromSearch reads it back", () => {
  const auth = { viewerId: "v/1", viewerToken: "a&b=c" };
  assert.equal(authQuery(auth), "viewerId=v%2F1&viewerToken=a%26b%3Dc");
  assert.deepEqual(authFromSearch(`?${authQuery(auth)}`), auth);
});

test("redactToken hides the viewer token", () => {
  assert.equal(redactToken("http://h/?viewerId=a&viewerToken=SECRET&x=1"), "http://h/?viewerId=a&viewerToken=[redacted]&x=1");
});
