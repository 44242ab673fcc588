// Images of the view: the points drawn offscreen at a chosen scale, the legend or colour bar drawn
// in, encoded as PNG; uploaded to Python for `requestImage`, downloaded by "Save image".

import { authQuery } from "./auth.js";
import { drawLegendBox } from "./ui/imagelegend.js";

export const defaults = {
  uploadPath: "_cellucid/image",
  maxScale: 16,
  saveScale: 2,
  filename: "cellucid.png",
};

/**
 * The pixel size of an image of a `cssWidth`×`cssHeight` view at `scale`:
 * `round(css size × scale × dpr)` a side, `ratio` (scale × dpr) device px per CSS px. At
 * devicePixelRatio 1 that is exactly `scale` × the canvas's CSS size; on a denser screen the
 * image keeps the screen's density too. Throws for a scale that is not in (0, maxScale].
 */
export function imageSize(cssWidth, cssHeight, scale, dpr = 1) {
  const s = Number(scale);
  if (!Number.isFinite(s) || s <= 0 || s > defaults.maxScale) throw new Error(`scale must be a number in (0, ${defaults.maxScale}], not ${scale}`);
  const ratio = s * (dpr > 0 ? dpr : 1);
  return { width: Math.max(1, Math.round(cssWidth * ratio)), height: Math.max(1, Math.round(cssHeight * ratio)), ratio };
}

/** RGBA rows read from WebGL (bottom-up) turned top-down, as ImageData wants them. */
export function flipRows(pixels, width, height) {
  const out = new Uint8ClampedArray(width * height * 4);
  const row = width * 4;
  for (let y = 0; y < height; y++) out.set(pixels.subarray((height - 1 - y) * row, (height - y) * row), y * row);
  return out;
}

/** Where the image for `requestId` is posted (relative to the page). */
export function imageUploadUrl(auth, requestId) {
  return `${defaults.uploadPath}?${authQuery(auth)}&requestId=${encodeURIComponent(requestId)}`;
}

/**
 * A PNG Blob of the app's current view at `scale` (see `imageSize`; `dpr` defaults to the
 * renderer's): the points drawn offscreen at that size, then the legend or colour bar and the
 * highlight groups drawn in its top-right corner.
 */
export async function renderImage(app, scale, dpr = app.renderer.dpr || 1) {
  const { width, height, ratio } = imageSize(app.camera.width, app.camera.height, scale, dpr);
  const pixels = app.renderer.renderPixels(app.view(), width, height, ratio);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.putImageData(new ImageData(flipRows(pixels, width, height), width, height), 0, 0);
  drawLegendBox(ctx, {
    colorBy: app.colorBy, colormap: app.colormap, highlights: [...app.highlights.values()],
    theme: app.theme, ratio, cssWidth: width / ratio, cssHeight: height / ratio,
  });
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the browser could not encode the PNG"))), "image/png");
  });
}
