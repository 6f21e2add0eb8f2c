/**
 * IP address validation and normalisation as CLUSTER MEET does it (inet_pton, then inet_ntop):
 * strict dotted-quad IPv4 (no leading zeros, as glibc) or IPv6 (with an optional trailing IPv4
 * part), printed in canonical form (RFC 5952: lowercase, no leading zeros, the longest run of
 * two or more zero groups as "::"). Pure.
 */

function parseIpv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return null;
    const v = Number(p);
    if (v > 255) return null;
    out.push(v);
  }
  return out;
}

function parseIpv6(s: string): number[] | null {
  if (s.length === 0 || s.length > 45) return null;
  let groups: number[] = [];
  let tail: number[] = [];
  const dbl = s.indexOf("::");
  if (dbl !== s.lastIndexOf("::")) return null;
  const parseSide = (part: string, allowV4: boolean): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (allowV4 && i === items.length - 1 && it.includes(".")) {
        const v4 = parseIpv4(it);
        if (v4 === null) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
      out.push(parseInt(it, 16));
    }
    return out;
  };
  if (dbl === -1) {
    const g = parseSide(s, true);
    if (g === null || g.length !== 8) return null;
    return g;
  }
  const left = parseSide(s.slice(0, dbl), false);
  const right = parseSide(s.slice(dbl + 2), true);
  if (left === null || right === null) return null;
  if (left.length + right.length > 7) return null;
  groups = left;
  tail = right;
  return [...groups, ...new Array(8 - groups.length - tail.length).fill(0), ...tail];
}

function formatIpv6(g: number[]): string {
  // IPv4-mapped addresses print as ::ffff:a.b.c.d (glibc inet_ntop).
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  }
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(":");
  const left = g.slice(0, bestStart).map((x) => x.toString(16)).join(":");
  const right = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(":");
  return `${left}::${right}`;
}

/** The normalised address, or null when `s` is not a numeric IPv4/IPv6 address. */
export function normalizeIp(s: string): string | null {
  const v4 = parseIpv4(s);
  if (v4 !== null) return v4.join(".");
  const v6 = parseIpv6(s);
  if (v6 !== null) return formatIpv6(v6);
  return null;
}
