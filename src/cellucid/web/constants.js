// Facts shared by several modules and by the shaders. shaders.js injects them into the GLSL
// source as #defines, so no shader repeats a value.

/** Per-cell flag bits: one byte per cell, uploaded to the GPU as `a_flags`. */
export const FLAG_HIDDEN = 1;   // setVisibility(…, false)
export const FLAG_INVALID = 2;  // NaN/inf coordinates
export const FLAG_SELECTED = 4;
/** Cells with any of these flags are never drawn, picked or selected. */
export const FLAGS_NOT_DRAWN = FLAG_HIDDEN | FLAG_INVALID;

/** The uint16 category code of a missing value in the dataset API (Python: `cellucid/data/obs.py`). */
export const MISSING_CODE = 65535;
/** A cell's colour value on the GPU when it is missing (any negative value means missing). */
export const MISSING_VALUE = -1;
/** The colour of missing values, [r, g, b] in 0–255. */
export const MISSING_RGB = [150, 150, 150];
