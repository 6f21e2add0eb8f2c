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

/**
 * A peer or local address as Redis prints it: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
 * what a dual-stack `::` listener reports for an IPv4 peer) becomes `a.b.c.d`, as an IPv4
 * listener would have reported it. Anything else is returned unchanged.
 */
export function unmapIpv4(host: string): string {
  if (host.length > 7 && host.slice(0, 7).toLowerCase() === "::ffff:") {
    const v4 = host.slice(7);
    if (parseIpv4(v4) !== null) return v4;
  }
  return host;
}

/**
 * The hosts to listen on for a `bind` directive (Redis's listenToPort over server.bindaddr):
 * `*` is every IPv4 address (0.0.0.0), `::*` every IPv6 address (::), a leading `-` makes an
 * address optional (skipped when `canBind` says it cannot be bound, as Redis skips
 * EADDRNOTAVAIL/EAFNOSUPPORT). Redis binds IPv6 with IPV6_V6ONLY; Deno cannot, and its `::`
 * listener takes IPv4 too, so next to `::` no IPv4 address is listened on (it would fail with
 * EADDRINUSE and is served by `::` anyway). An empty `bind` is Redis's default, `* -::*`.
 */
export function bindHosts(bind: string, canBind: (host: string) => boolean): string[] {
  let hosts: string[] = [];
  const words = bind.split(/\s+/).filter((a) => a !== "");
  for (let a of words.length ? words : ["*", "-::*"]) {
    if (a === "") continue;
    const optional = a.startsWith("-");
    if (optional) a = a.slice(1);
    const host = a === "*" ? "0.0.0.0" : a === "::*" ? "::" : a;
    if (optional && !canBind(host)) continue;
    if (!hosts.includes(host)) hosts.push(host);
  }
  if (hosts.includes("::")) hosts = hosts.filter((h) => parseIpv4(h) === null);
  return hosts;
}

/**
 * Would Redis have accepted a connection whose local address is `localHost`, under `bind`? A
 * dual-stack `::` listener (bindHosts) also takes IPv4 connections, to any local IPv4 address,
 * where Redis (IPV6_V6ONLY) takes only those to the IPv4 addresses `bind` names (or to any, with
 * `*` / 0.0.0.0). IPv6 and plain IPv4 local addresses are always accepted (their listener was
 * asked for).
 */
export function mappedConnAllowed(bind: string, localHost: string): boolean {
  const v4 = unmapIpv4(localHost);
  if (v4 === localHost) return true;
  const words = bind.split(/\s+/).filter((a) => a !== "").map((a) => a.replace(/^-/, ""));
  if (words.length === 0) return true;
  return words.some((a) => a === "*" || a === "0.0.0.0" || a === v4);
}
