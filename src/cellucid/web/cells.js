// The cell-list wire codec: a sorted JSON array of ints, or a bitmask object
// {"encoding": "bitmask", n, count, compression: "deflate-raw"|"none", data: base64}.
// Python twin: `encode_cells` in `cellucid/cells.py`; the choice of form must stay aligned with it.

export const defaults = {
  // At or below this array cost the array form is sent without building a mask.
  arrayAlwaysBytes: 4096,
  // Above it, the array is still sent unless it costs more than the bitmask's base64 plus this.
  bitmaskMarginBytes: 80,
};

/** The estimated JSON cost of `count` cells of a dataset of `n`: each the digits of n-1 plus a comma. */
export function arrayCost(count, n) {
  return count * (String(Math.max(n - 1, 0)).length + 1);
}

/** A `ceil(n/8)`-byte mask with bit (i & 7) of byte i >> 3 set for each cell i. */
export function cellsToMask(cells, n) {
  const mask = new Uint8Array(Math.ceil(n / 8));
  for (let k = 0; k < cells.length; k++) {
    const i = cells[k];
    mask[i >> 3] |= 1 << (i & 7);
  }
  return mask;
}

/** Sorted Uint32Array of the set bits of `mask` below `n`. */
export function maskToCells(mask, n) {
  let count = 0;
  for (let b = 0; b < mask.length; b++) count += popcount8(mask[b]);
  const out = new Uint32Array(count);
  let k = 0;
  for (let b = 0; b < mask.length; b++) {
    let v = mask[b];
    while (v) {
      const bit = 31 - Math.clz32(v & -v);
      const i = (b << 3) | bit;
      if (i < n) out[k++] = i;
      v &= v - 1;
    }
  }
  return k === count ? out : out.subarray(0, k);
}

function popcount8(v) {
  v = v - ((v >> 1) & 0x55);
  v = (v & 0x33) + ((v >> 2) & 0x33);
  return (v + (v >> 4)) & 0x0f;
}

/** Standard base64 of a byte array (chunked, so large arrays do not overflow the call stack). */
export function bytesToBase64(bytes) {
  let s = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
  }
  return btoa(s);
}

/** Bytes of a standard base64 string. */
export function base64ToBytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function pipeThrough(bytes, stream) {
  const body = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/** deflate-raw compression (RFC 1951), or null where CompressionStream is missing. */
export async function deflateRaw(bytes) {
  if (typeof CompressionStream === "undefined") return null;
  return pipeThrough(bytes, new CompressionStream("deflate-raw"));
}

/** deflate-raw decompression. */
export async function inflateRaw(bytes) {
  return pipeThrough(bytes, new DecompressionStream("deflate-raw"));
}

/**
 * The wire form of a sorted cell list for a dataset of `n` cells: the JSON array when it costs at
 * most `arrayAlwaysBytes` or at most the bitmask's base64 plus `bitmaskMarginBytes`, else the
 * bitmask object (deflate-raw compressed when that is shorter).
 */
export async function encodeCells(cells, n) {
  // A set of cells the kernel holds (a tiled view's selection, a group) travels by its name.
  if (cells && typeof cells.kernelSet === "string") return { encoding: "ref", mask: cells.kernelSet };
  const cost = arrayCost(cells.length, n);
  if (cost <= defaults.arrayAlwaysBytes) return Array.from(cells);
  const mask = cellsToMask(cells, n);
  const packed = await deflateRaw(mask);
  const useDeflate = packed !== null && packed.length < mask.length;
  const data = bytesToBase64(useDeflate ? packed : mask);
  if (cost <= data.length + defaults.bitmaskMarginBytes) return Array.from(cells);
  return {
    encoding: "bitmask",
    n,
    count: cells.length,
    compression: useDeflate ? "deflate-raw" : "none",
    data,
  };
}

/** Sorted, de-duplicated Uint32Array from either wire form; throws Error naming what is wrong. */
export async function decodeCells(value, n) {
  if (value === null || value === undefined) return new Uint32Array(0);
  if (Array.isArray(value)) {
    for (const c of value) {
      if (!Number.isInteger(c) || c < 0 || c >= n) throw new Error(`cell ${c} is not an int in [0, ${n})`);
    }
    return sortedUnique(Uint32Array.from(value));
  }
  if (typeof value !== "object" || value.encoding !== "bitmask") throw new Error("cells: expected an array or a bitmask object");
  if (value.n !== n) throw new Error(`cells bitmask: n=${value.n} but the dataset has ${n} cells`);
  let bytes = base64ToBytes(value.data);
  const compression = value.compression ?? "none";
  if (compression === "deflate-raw") bytes = await inflateRaw(bytes);
  else if (compression !== "none") throw new Error(`cells bitmask: unknown compression ${compression}`);
  if (bytes.length !== Math.ceil(n / 8)) throw new Error("cells bitmask: wrong length");
  return maskToCells(bytes, n);
}

/** Sort and de-duplicate a Uint32Array in place; returns the unique prefix. */
export function sortedUnique(arr) {
  arr.sort();
  let k = 0;
  for (let i = 0; i < arr.length; i++) if (i === 0 || arr[i] !== arr[k - 1]) arr[k++] = arr[i];
  return arr.subarray(0, k);
}
