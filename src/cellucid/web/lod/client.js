// The tile API client (docs/protocol.md, "Tile API"): the tile index, tile boxes, and for a list
// of tiles their positions, obs rows, colour values and the bits of a set of cells, each one
// request whose reply holds the tiles in ascending order.

/** Ascending tile numbers written as ranges: [0, 1, 2, 5] → "0-2,5". */
export function formatTiles(tiles) {
  const parts = [];
  for (let i = 0; i < tiles.length; i++) {
    const start = tiles[i];
    while (i + 1 < tiles.length && tiles[i + 1] === tiles[i] + 1) i++;
    parts.push(start === tiles[i] ? String(start) : `${start}-${tiles[i]}`);
  }
  return parts.join(",");
}

/**
 * Cut a reply holding `tiles` (ascending) one after the other into one copy per tile: tile `t`
 * takes `size(t)` elements. Returns a Map tile → typed array. Throws when the lengths disagree.
 */
export function splitTiles(array, tiles, size) {
  const out = new Map();
  let at = 0;
  for (const t of tiles) {
    const n = size(t);
    out.set(t, array.slice(at, at + n));
    at += n;
  }
  if (at !== array.length) throw new Error(`a tile reply holds ${array.length} values where ${at} were expected`);
  return out;
}

/** Bytes of a tile of `count` cells in a packed set of bits. */
export function maskBytes(count) {
  return (count + 7) >> 3;
}

/** Whether bit `i` of a tile's packed bits is set. */
export function bitAt(bits, i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}

export class TileClient {
  /** @param {DataClient} data the dataset API client (its token and fetch). */
  constructor(data) {
    this.data = data;
  }

  index() { return this.data.json("tiles/index"); }

  async bounds(embedding) { return (await this.data.array("tiles/bounds", { embedding })).array; }

  async positions(embedding, tiles) {
    return (await this.data.array("tiles/positions", { embedding, tiles: formatTiles(tiles) })).array;
  }

  async rows(tiles) { return (await this.data.array("tiles/rows", { tiles: formatTiles(tiles) })).array; }

  async obs(name, tiles) { return (await this.data.array("tiles/obs", { name, tiles: formatTiles(tiles) })).array; }

  /** A gene's values in `tiles`, with its {min, max} over every cell. */
  async gene(name, layer, tiles) {
    const params = { name, tiles: formatTiles(tiles) };
    if (layer) params.layer = layer;
    const { array, headers } = await this.data.array("tiles/gene", params);
    return { array, min: Number(headers.get("X-Cellucid-Min")), max: Number(headers.get("X-Cellucid-Max")) };
  }

  /** A set's packed bits in `tiles`, with its {version, count}. */
  async mask(name, tiles) {
    const { array, headers } = await this.data.array("tiles/mask", { name, tiles: formatTiles(tiles) });
    return { array, version: Number(headers.get("X-Cellucid-Version")), count: Number(headers.get("X-Cellucid-Count")) };
  }

  extent(embedding) { return this.data.json("tiles/extent", { embedding }); }

  /** The cells within `hops` graph hops of `seed`, as bits packed per tile of `tiles`. */
  async knn(seed, hops, tiles) {
    return (await this.data.array("tiles/knn", { seed, hops, tiles: formatTiles(tiles) })).array;
  }
}
