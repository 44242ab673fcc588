import test from "node:test";
import assert from "node:assert/strict";
import { Camera2D, OrbitCamera, multiply, toClip, clipToScreen as toScreen, extentRadius } from "../../src/cellucid/web/camera.js";

const close = (a, b, eps = 1e-6) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

function clipToScreen(cam, p) {
  const m = cam.viewProjection();
  const x = m[0] * p[0] + m[4] * p[1] + m[8] * p[2] + m[12];
  const y = m[1] * p[0] + m[5] * p[1] + m[9] * p[2] + m[13];
  const w = m[3] * p[0] + m[7] * p[1] + m[11] * p[2] + m[15];
  return [((x / w + 1) / 2) * cam.width, ((1 - y / w) / 2) * cam.height];
}

test("2D fit puts the data in view and project matches the GPU matrix", () => {
  const c = new Camera2D();
  c.resize(800, 600);
  c.fit([-10, -5], [10, 5]);
  const a = c.project([-10, -5]), b = c.project([10, 5]);
  assert.ok(a.x >= 0 && b.x <= 800 && b.y >= 0 && a.y <= 600);
  const [sx, sy] = clipToScreen(c, [3, 2, 0]);
  const p = c.project([3, 2]);
  close(sx, p.x, 1e-3);
  close(sy, p.y, 1e-3);
});

test("2D zoom keeps the point under the cursor fixed; unproject inverts project", () => {
  const c = new Camera2D();
  c.resize(640, 480);
  c.fit([0, 0], [1, 1]);
  const before = c.unproject(100, 50);
  c.zoomAt(100, 50, 2.5);
  const after = c.unproject(100, 50);
  close(before[0], after[0]);
  close(before[1], after[1]);
  const p = c.project([0.3, 0.7]);
  const q = c.unproject(p.x, p.y);
  close(q[0], 0.3);
  close(q[1], 0.7);
  c.pan(10, 0);
  close(c.project([0.3, 0.7]).x, p.x + 10);
});

test("orbit camera: fit shows the box, project matches the matrix, unproject on focal plane", () => {
  const c = new OrbitCamera();
  c.resize(800, 600);
  c.fit([-1, -1, -1], [1, 1, 1]);
  for (const corner of [[-1, -1, -1], [1, 1, 1], [1, -1, 1]]) {
    const p = c.project(corner);
    assert.ok(p.x > 0 && p.x < 800 && p.y > 0 && p.y < 600, JSON.stringify(p));
    const [sx, sy] = clipToScreen(c, corner);
    close(sx, p.x, 1e-3);
    close(sy, p.y, 1e-3);
  }
  c.rotate(120, 40);
  const q = c.unproject(300, 200);
  const back = c.project(q);
  close(back.x, 300, 1e-3);
  close(back.y, 200, 1e-3);
  const target = c.project(c.target);
  close(target.x, 400, 1e-6);
  close(target.y, 300, 1e-6);
});

test("orbit zoomAt keeps the focal-plane point under the cursor", () => {
  const c = new OrbitCamera();
  c.resize(500, 500);
  c.fit([0, 0, 0], [2, 2, 2]);
  const p = c.unproject(100, 400);
  c.zoomAt(100, 400, 1.7);
  const s = c.project(p);
  close(s.x, 100, 1e-3);
  close(s.y, 400, 1e-3);
});

test("multiply with identity", () => {
  const id = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  const m = new Float32Array(16).map((_, i) => i + 1);
  assert.deepEqual(Array.from(multiply(id, m)), Array.from(m));
});

test("toClip and clipToScreen agree with the cameras' own project", () => {
  for (const c of [new Camera2D(), new OrbitCamera()]) {
    c.resize(640, 480);
    c.fit([-2, -1, -3], [2, 1, 3]);
    const p = [0.5, -0.25, 1];
    const clip = toClip(c.viewProjection(), ...p);
    assert.equal(clip.length, 4);
    const s = toScreen(clip, c.width, c.height);
    const want = c.project(p);
    close(s.x, want.x, 1e-3);
    close(s.y, want.y, 1e-3);
  }
});

test("fitProjected: the projected points span ~90% of the view; flagged points left out", () => {
  const positions = new Float32Array([-1, -1, -1, 1, 1, 1, -1, 1, 1, 1, -1, -1, 50, 50, 50]);
  const flags = Uint8Array.of(0, 0, 0, 0, 2);
  assert.equal(extentRadius(positions, flags, 2, [-1, -1, -1], [1, 1, 1]), Math.sqrt(3));
  const c = new OrbitCamera();
  c.resize(500, 500);
  c.fit([-1, -1, -1], [1, 1, 1], Math.sqrt(3));
  const before = c.distance;
  c.fitProjected(positions, flags, 2);
  assert.ok(c.distance <= before);
  assert.equal(c.home.distance, c.distance);
  const m = c.viewProjection();
  let extent = 0;
  for (let i = 0; i < 4; i++) {
    const [x, y, , w] = toClip(m, positions[i * 3], positions[i * 3 + 1], positions[i * 3 + 2]);
    extent = Math.max(extent, Math.abs(x / w), Math.abs(y / w));
  }
  assert.ok(extent > 0.8 && extent <= 1, String(extent));
});

test("keepView: after a resize the extent last fitted or zoomed to stays in view, and comes back", () => {
  const cam = new Camera2D();
  cam.resize(800, 600);
  cam.fit([0, 0], [10, 10]);
  cam.zoomAt(400, 300, 2);
  const shown = { w: 800 / cam.scale, h: 600 / cam.scale };
  cam.resize(400, 600);   // a panel docks beside: half the width
  cam.keepView();
  assert.ok(Math.abs(400 / cam.scale - shown.w) < 1e-9 && 600 / cam.scale >= shown.h);
  cam.resize(800, 600);   // the panel closes: the same view as before
  cam.keepView();
  assert.ok(Math.abs(800 / cam.scale - shown.w) < 1e-9 && Math.abs(600 / cam.scale - shown.h) < 1e-9);
  const orbit = new OrbitCamera();
  orbit.resize(800, 600);
  orbit.fit([0, 0, 0], [1, 1, 1]);
  const d = orbit.distance;
  orbit.resize(400, 600);
  orbit.keepView();
  assert.ok(Math.abs(orbit.distance - d * 2) < 1e-9);   // backs off to keep the width in view
  orbit.resize(800, 600);
  orbit.keepView();
  assert.ok(Math.abs(orbit.distance - d) < 1e-9);
});

test("setState: a state seen at the same size is taken as is; at another size its extent shows", () => {
  const c = new Camera2D();
  c.resize(800, 600);
  c.setState({ kind: "2d", cx: 1.5, cy: -2, scale: 40, width: 800, height: 600 });
  assert.deepEqual(c.state(), { kind: "2d", cx: 1.5, cy: -2, scale: 40 });
  const narrow = new Camera2D();
  narrow.resize(400, 600);
  narrow.setState({ kind: "2d", cx: 1.5, cy: -2, scale: 40, width: 800, height: 600 });
  assert.equal(narrow.scale, 20);   // the 20 data units across fit in half the width
  assert.deepEqual([narrow.cx, narrow.cy], [1.5, -2]);
  narrow.setState({ kind: "3d", target: [0, 0, 0], distance: 1, yaw: 0, pitch: 0 });
  assert.equal(narrow.scale, 20);   // another kind of camera's state is ignored

  const o = new OrbitCamera();
  o.resize(800, 600);
  const s = { kind: "3d", target: [1, 2, 3], distance: 10, yaw: 0.2, pitch: -0.1 };
  o.setState({ ...s, width: 800, height: 600 });
  assert.deepEqual(o.state(), s);
  const tall = new OrbitCamera();
  tall.resize(400, 600);
  tall.setState({ ...s, width: 800, height: 600 });
  close(tall.distance, 20);          // backs off so the saved width still fits
  assert.deepEqual(tall.target, [1, 2, 3]);
});
