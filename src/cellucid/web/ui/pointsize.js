// The header's point size setting: a slider of the factor on the automatic point size (which
// follows the density of cells on screen and the zoom), on a log scale so that halving and
// doubling are the same step. Saved and restored with a session (its `pointSize`).

import { defaults as appDefaults } from "../app.js";

export const defaults = {
  step: 0.05,   // log2 steps of the slider
};

/** The slider's value (log2) of point scale `scale`, and back. */
export const sliderValue = (scale) => Math.log2(scale);
export const scaleOf = (value) => 2 ** Number(value);

/**
 * Make `input` (a range input) set `app`'s point scale as it moves. Returns {sync(kind)}, to call
 * with the app's change kinds: "pointSize" moves the slider to the app's setting (a restored
 * session's).
 */
export function createPointSizeControl(input, app) {
  Object.assign(input, {
    type: "range", step: String(defaults.step),
    min: String(sliderValue(appDefaults.minPointScale)), max: String(sliderValue(appDefaults.maxPointScale)),
  });
  const show = () => {
    input.value = String(sliderValue(app.pointScale));
    input.title = `Point size: ${app.pointScale.toFixed(2)}× the automatic size (double-click: automatic)`;
  };
  input.addEventListener("input", () => app.setPointScale(scaleOf(input.value)));
  input.addEventListener("dblclick", () => app.setPointScale(1));
  show();
  return {
    sync(kind) {
      if (kind === "pointSize") show();
    },
  };
}
