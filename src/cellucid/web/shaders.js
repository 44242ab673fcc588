// GLSL ES 3.00 sources for the point program. One program draws every pass:
// u_pass 0 = colour, 1 = cell ids for picking, 2 = overlay in one colour (highlight groups),
// 3 = overlay in each cell's own colour (the selection, drawn over dimmed points).

export const FLAG_HIDDEN = 1;   // setVisibility(…, false)
export const FLAG_INVALID = 2;  // NaN/inf coordinates
export const FLAG_SELECTED = 4;

export const pointVertex = `#version 300 es
precision highp float;
precision highp int;
layout(location = 0) in vec3 a_pos;
layout(location = 1) in float a_val;
layout(location = 2) in uint a_flags;
uniform mat4 u_mvp;
uniform float u_size;
uniform float u_sizeScale;
uniform float u_refW;
uniform bool u_perspective;
uniform sampler2D u_lut;
uniform int u_lutWidth;
uniform int u_mode;
uniform vec3 u_missing;
uniform vec3 u_bg;
uniform bool u_dim;
uniform int u_pass;
uniform vec3 u_color;
uniform vec2 u_fog;
flat out vec4 v_color;

void main() {
  if ((a_flags & 3u) != 0u) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 0.0;
    return;
  }
  vec4 clip = u_mvp * vec4(a_pos, 1.0);
  gl_Position = clip;
  float s = u_size;
  if (u_perspective) s = clamp(u_size * u_refW / max(clip.w, 1e-6), 1.0, u_size * 4.0);
  gl_PointSize = s * u_sizeScale;
  if (u_pass == 1) {
    uint id = uint(gl_VertexID) + 1u;
    v_color = vec4(float(id & 255u), float((id >> 8) & 255u), float((id >> 16) & 255u), float((id >> 24) & 255u)) / 255.0;
    return;
  }
  if (u_pass == 2) {
    v_color = vec4(u_color, 1.0);
    return;
  }
  vec3 c;
  if (a_val < 0.0) {
    c = u_missing;
  } else if (u_mode == 0) {
    int code = int(a_val + 0.5);
    c = texelFetch(u_lut, ivec2(code % u_lutWidth, code / u_lutWidth), 0).rgb;
  } else {
    c = texture(u_lut, vec2(a_val * (255.0 / 256.0) + 0.5 / 256.0, 0.5)).rgb;
  }
  if (u_pass == 0 && u_dim && (a_flags & 4u) == 0u) c = mix(c, u_bg, 0.72);
  // Depth cue in 3D: points further back fade towards the background.
  if (u_perspective) c = mix(c, u_bg, 0.45 * clamp((clip.w - u_fog.x) / max(u_fog.y - u_fog.x, 1e-6), 0.0, 1.0));
  v_color = vec4(c, 1.0);
}
`;

export const pointFragment = `#version 300 es
precision highp float;
precision highp int;
flat in vec4 v_color;
uniform int u_pass;
uniform vec3 u_ring;
out vec4 outColor;

void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(c, c);
  if (r2 > 1.0) discard;
  if (u_pass == 1) {
    outColor = v_color;
    return;
  }
  if (u_pass == 2 && r2 > 0.5) {
    outColor = vec4(u_ring, 1.0);
    return;
  }
  outColor = vec4(v_color.rgb * (1.0 - 0.22 * smoothstep(0.55, 1.0, r2)), 1.0);
}
`;
