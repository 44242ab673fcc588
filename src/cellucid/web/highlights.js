// Highlight groups the user makes in the page: the name and colour of the next group.

export const defaults = {
  namePrefix: "group",
  // Vivid and far apart, so groups tell apart from each other and from the categorical
  // palettes; no blue, the colour of the page's accent and of the single-colour mode.
  palette: ["#ff00ff", "#00e5ff", "#ffd400", "#00e040", "#ff6a00", "#b400ff", "#ff0060", "#8c5a2b"],
};

/** `group N` for the next group: N counts up from the number of `groups`, skipping names taken. */
export function nextGroupName(groups) {
  const taken = new Set(groups.map((g) => g.name));
  let n = groups.length + 1;
  while (taken.has(`${defaults.namePrefix} ${n}`)) n += 1;
  return `${defaults.namePrefix} ${n}`;
}

/** The first palette colour no group of `groups` uses; when all are used, the palette cycles. */
export function nextGroupColor(groups) {
  const used = new Set(groups.map((g) => String(g.color).toLowerCase()));
  const free = defaults.palette.find((c) => !used.has(c));
  return free || defaults.palette[groups.length % defaults.palette.length];
}
