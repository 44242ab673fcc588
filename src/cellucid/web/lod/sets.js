// The sets of cells a tiled view's kernel holds (the selection, hidden cells, highlight groups,
// the saved reference): their versions and counts, and the tile column of each one's bits.

import { maskBytes } from "./client.js";

export const SELECTION = "selection";
export const HIDDEN = "hidden";
export const SAVED = "saved";

/** The set name of highlight group `name`. */
export function groupSet(name) {
  return `group:${name}`;
}

/**
 * Cells the kernel holds, standing in for a cell list: `length` is the count, and the wire codec
 * (`cells.js`) sends it as a reference to the set (`{"encoding": "ref", "mask": name}`).
 */
export class KernelCells {
  constructor(name, version = 0, count = 0) {
    this.kernelSet = name;
    this.version = version;
    this.count = count;
  }

  get length() {
    return this.count;
  }

  /** Whether `other` ({name, version, count} from the kernel) is newer than this. */
  olderThan(other) {
    return other.version > this.version;
  }
}

/** The sets one tiled view knows of, and the tile columns of their bits. */
export class TileSets {
  /** @param {object} o client (TileClient), counts (cells per tile). */
  constructor({ client, counts }) {
    this.client = client;
    this.counts = counts;
    this.known = new Map([[SELECTION, new KernelCells(SELECTION)], [HIDDEN, new KernelCells(HIDDEN)]]);
    this.onNewer = () => {};
  }

  get(name) {
    return this.known.get(name) || new KernelCells(name);
  }

  /** Record what the kernel says of a set ({name, version, count}); returns its KernelCells. */
  note({ name, version, count }) {
    const held = this.known.get(name);
    if (held && held.version >= version) return held;
    const cells = new KernelCells(name, version, count);
    this.known.set(name, cells);
    return cells;
  }

  forget(name) {
    this.known.delete(name);
  }

  /** The tile column of set `cells`' bits at its version. */
  column(cells) {
    return {
      key: `m|${cells.kernelSet}|${cells.version}`,
      size: (t) => maskBytes(this.counts[t]),
      fetch: async (tiles) => {
        const { array, version, count } = await this.client.mask(cells.kernelSet, tiles);
        return { array, meta: { name: cells.kernelSet, version, count } };
      },
      onMeta: (meta) => { if (meta.version > cells.version) this.onNewer(meta); },
    };
  }
}
