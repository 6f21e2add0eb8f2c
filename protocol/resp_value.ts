/**
 * RESP2/RESP3 reply decoder (the client side of the protocol): used by the node when it is a
 * client of another node (MIGRATE, replication) and by the tests. Pure over bytes.
 */

export type RespValue =
  | { type: "simple"; value: string }
  | { type: "error"; value: string }
  | { type: "int"; value: number }
  | { type: "bulk"; value: Uint8Array }
  /** `$-1` (RESP2's null bulk), `*-1` (its null array: `of` "array") or RESP3's `_` ("resp3"). */
  | { type: "null"; of?: "array" | "resp3" }
  | { type: "array"; value: RespValue[] }
  | { type: "map"; value: [RespValue, RespValue][] }
  | { type: "set"; value: RespValue[] }
  | { type: "double"; value: number; text: string }
  | { type: "bool"; value: boolean }
  | { type: "verbatim"; format: string; value: string }
  | { type: "bignum"; value: string }
  | { type: "push"; value: RespValue[] };

const dec = new TextDecoder();

/**
 * Decode one value at `pos`. Returns the value and the position after it, or null when the
 * buffer does not yet hold a whole value. Throws on malformed input.
 */
export function decodeValue(buf: Uint8Array, pos = 0): [RespValue, number] | null {
  if (pos >= buf.length) return null;
  const t = buf[pos];
  const nl = buf.indexOf(10, pos);
  if (nl === -1) return null;
  const line = dec.decode(buf.subarray(pos + 1, nl - 1));
  const next = nl + 1;
  switch (t) {
    case 43: // +
      return [{ type: "simple", value: line }, next];
    case 45: // -
      return [{ type: "error", value: line }, next];
    case 58: // :
      return [{ type: "int", value: Number(line) }, next];
    case 95: // _
      return [{ type: "null", of: "resp3" }, next];
    case 35: // #
      return [{ type: "bool", value: line === "t" }, next];
    case 44: { // ,
      const l = line.toLowerCase();
      const v = l === "inf" ? Infinity : l === "-inf" ? -Infinity : Number(line);
      return [{ type: "double", value: v, text: line }, next];
    }
    case 40: // (
      return [{ type: "bignum", value: line }, next];
    case 36: // $
    case 61: { // =
      const n = Number(line);
      if (n < 0) return [{ type: "null" }, next];
      if (buf.length < next + n + 2) return null;
      const data = buf.slice(next, next + n);
      if (t === 61) {
        const s = dec.decode(data);
        return [{ type: "verbatim", format: s.slice(0, 3), value: s.slice(4) }, next + n + 2];
      }
      return [{ type: "bulk", value: data }, next + n + 2];
    }
    case 42: // *
    case 126: // ~
    case 62: { // >
      const n = Number(line);
      if (n < 0) return [{ type: "null", of: "array" }, next];
      const items: RespValue[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = decodeValue(buf, p);
        if (r === null) return null;
        items.push(r[0]);
        p = r[1];
      }
      const type = t === 42 ? "array" : t === 126 ? "set" : "push";
      return [{ type, value: items } as RespValue, p];
    }
    case 37: { // %
      const n = Number(line);
      const pairs: [RespValue, RespValue][] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const k = decodeValue(buf, p);
        if (k === null) return null;
        const v = decodeValue(buf, k[1]);
        if (v === null) return null;
        pairs.push([k[0], v[0]]);
        p = v[1];
      }
      return [{ type: "map", value: pairs }, p];
    }
    default:
      throw new Error(`bad RESP type byte ${t} at ${pos}`);
  }
}

/** A plain JS view of a value (strings for bulks, arrays, objects for maps, Error for errors). */
export type Plain = string | number | boolean | null | Error | Plain[] | { [k: string]: Plain };

export function toPlain(v: RespValue): Plain {
  switch (v.type) {
    case "simple":
      return v.value;
    case "error":
      return new Error(v.value);
    case "int":
    case "double":
      return v.value;
    case "bulk":
      return dec.decode(v.value);
    case "null":
      return null;
    case "bool":
      return v.value;
    case "verbatim":
      return v.value;
    case "bignum":
      return v.value;
    case "array":
    case "set":
    case "push":
      return v.value.map(toPlain);
    case "map": {
      const o: { [k: string]: Plain } = {};
      for (const [k, val] of v.value) o[String(toPlain(k))] = toPlain(val);
      return o;
    }
  }
}
