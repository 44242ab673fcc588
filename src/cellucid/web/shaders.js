// GLSL ES 3.00 sources for the point programs. One source, specialised with #defines into a
// program per pass (so the per-vertex work has no branches on the pass):
// COLOR = each cell's colour from the lookup texture; ID = cell ids for picking;
// OVERLAY = one colour for a group of cells (highlight groups, previews). PERSPECTIVE = 3D.
// The selection overlay uses the COLOR program without dimming. The shared constants
// (constants.js) come in as #defines too.

import { FLAG_HIDDEN, FLAG_INVALID, FLAG_SELECTED, FLAGS_NOT_DRAWN, MISSING_RGB } from "./constants.js";

export const PASSES = ["COLOR", "ID", "OVERLAY"];

/** The shared constants as GLSL #define lines, generated from constants.js. */
export function constantDefines() {
  const uints = { FLAG_HIDDEN, FLAG_INVALID, FLAG_SELECTED, FLAGS_NOT_DRAWN };
  const lines = Object.entries(uints).map(([name, v]) => `#define ${name} ${v}u`);
  lines.push(`#define MISSING_COLOR vec3(${MISSING_RGB.map((v) => glslFloat(v / 255)).join(", ")})`);
  return lines.join("\n") + "\n";
}

function glslFloat(v) {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const vertexBody = `
precision highp float;
precision highp int;
layout(location = 0) in vec3 a_pos;
layout(location = 1) in float a_val;
layout(location = 2) in uint a_flags;
uniform mat4 u_mvp;
uniform float u_size;
uniform float u_sizeScale;
uniform float u_refW;
uniform sampler2D u_lut;
uniform int u_lutWidth;
uniform int u_mode;
uniform vec3 u_bg;
uniform bool u_dim;
uniform vec3 u_color;
uniform vec2 u_fog;
flat out vec4 v_color;

void main() {
  if ((a_flags & FLAGS_NOT_DRAWN) != 0u) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 0.0;
    return;
  }
  vec4 clip = u_mvp * vec4(a_pos, 1.0);
  gl_Position = clip;
#ifdef PERSPECTIVE
  gl_PointSize = clamp(u_size * u_refW / max(clip.w, 1e-6), 1.0, u_size * 4.0) * u_sizeScale;
#else
  gl_PointSize = u_size * u_sizeScale;
#endif
#if defined(ID)
  uint id = uint(gl_VertexID) + 1u;
  v_color = vec4(float(id & 255u), float((id >> 8) & 255u), float((id >> 16) & 255u), float((id >> 24) & 255u)) / 255.0;
#elif defined(OVERLAY)
  v_color = vec4(u_color, 1.0);
#else
  vec3 c;
  if (a_val < 0.0) {
    c = MISSING_COLOR;
  } else if (u_mode == 0) {
    int code = int(a_val + 0.5);
    c = texelFetch(u_lut, ivec2(code % u_lutWidth, code / u_lutWidth), 0).rgb;
  } else {
    c = texture(u_lut, vec2(a_val * (255.0 / 256.0) + 0.5 / 256.0, 0.5)).rgb;
  }
  if (u_dim && (a_flags & FLAG_SELECTED) == 0u) c = mix(c, u_bg, 0.72);
#ifdef PERSPECTIVE
  // Depth cue in 3D: points further back fade towards the background.
  c = mix(c, u_bg, 0.45 * clamp((clip.w - u_fog.x) / max(u_fog.y - u_fog.x, 1e-6), 0.0, 1.0));
#endif
  v_color = vec4(c, 1.0);
#endif
}
`;

const fragmentBody = `
precision highp float;
flat in vec4 v_color;
uniform vec3 u_ring;
uniform float u_alpha;
out vec4 outColor;

void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(c, c);
  if (r2 > 1.0) discard;
#if defined(ID)
  outColor = v_color;
#elif defined(OVERLAY)
  outColor = r2 > 0.5 ? vec4(u_ring, 1.0) : v_color;
#else
  outColor = vec4(v_color.rgb * (1.0 - 0.22 * smoothstep(0.55, 1.0, r2)), u_alpha);
#endif
}
`;

/** Vertex and fragment sources for `pass` ("COLOR", "ID", "OVERLAY"), 3D when `perspective`. */
export function pointShaders(pass, perspective) {
  const defines = `#version 300 es\n#define ${pass}\n${perspective ? "#define PERSPECTIVE\n" : ""}${constantDefines()}`;
  return { vertex: defines + vertexBody, fragment: defines + fragmentBody };
}
