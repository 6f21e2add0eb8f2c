/**
 * The authenticated cluster bus (beyond Redis; off unless `cluster-bus-secret` is set): every
 * bus packet carries a MAC under a secret shared by the cluster, and a packet whose MAC is
 * missing or wrong is dropped without a reply (cluster/bus_network_auth.ts wires this in).
 * Pure: packet bytes and secrets in, packet bytes or a verdict out; time comes from the caller.
 *
 * Where the MAC goes: the 30 bytes Redis 7.0 reserves in the header (cluster.h clusterMsg
 * `notused1[30]`, offset 2216), which Redis and our decoder ignore, so neither the length nor any
 * other field of a message changes:
 *
 *   notused1[0]      MAC format, BUS_MAC_VERSION (0 = no MAC: what Redis and an unset node send)
 *   notused1[1]      reserved, 0
 *   notused1[2..16)  MAC under the signing secret (`cluster-bus-secret`)
 *   notused1[16..30) MAC under the previous secret (`cluster-bus-secret-previous`) during a
 *                    rotation, else 14 zero bytes
 *
 * Each MAC is HMAC-SHA256 (RFC 2104 over server/sha256.ts, synchronous) under that secret, over
 * the whole packet except the 28 MAC bytes (so the format byte, every header field and the body
 * are covered), truncated to 14 bytes (112 bits; two fit in the reserved space). A receiver
 * accepts a packet when either MAC slot matches the MAC under any secret it holds (its signing one
 * or its previous one). Signing with both secrets during a rotation is what lets nodes change one
 * at a time: a node not yet rotated checks the old-secret MAC, a rotated one the new-secret MAC.
 * A MAC costs ~19 us for a 2,256-byte packet and ~68 us for a 12,656-byte one (a 1,000-node
 * cluster's); node:crypto's took 9 and 16, but loading node:crypto cost every cluster node ~3-4 MiB
 * of RSS, secret or not.
 *
 * Not covered: replay (a captured packet verifies again; there is no nonce or clock), and
 * confidentiality (tls-cluster). See README "Threat model: the cluster bus secret".
 */

import { Sha256 } from "../server/sha256.ts";
import { OFF_NOTUSED1 } from "../protocol/bus_constants.ts";

/** notused1[0] of a signed packet. */
export const BUS_MAC_VERSION = 1;
/** Bytes kept of each HMAC-SHA256. */
export const BUS_MAC_BYTES = 14;
export const OFF_MAC_VERSION = OFF_NOTUSED1;
/** MAC under the signing secret. */
export const OFF_MAC_CURRENT = OFF_NOTUSED1 + 2;
/** MAC under the previous secret (rotation), or zeros. */
export const OFF_MAC_PREVIOUS = OFF_MAC_CURRENT + BUS_MAC_BYTES;
const MAC_END = OFF_MAC_PREVIOUS + BUS_MAC_BYTES;

/** The secrets a node holds: it signs with `secret` (and `previous`), accepts either. */
export interface BusSecrets {
  /** `cluster-bus-secret`; "" = authentication off (the other two are then ignored). */
  readonly secret: string;
  /** `cluster-bus-secret-previous`; "" = none. */
  readonly previous: string;
  /**
   * `cluster-bus-secret-required` (default true). False while a running cluster turns
   * authentication on or off: packets without a MAC are accepted too (a wrong MAC never is).
   */
  readonly required?: boolean;
}

function busAuthEnabled(s: BusSecrets): boolean {
  return s.secret !== "";
}

/** SHA-256's block size, the HMAC key's padded length (RFC 2104). */
const SHA256_BLOCK_BYTES = 64;

/**
 * An HMAC-SHA256 key with its two padded key blocks already hashed (RFC 2104: H(K^opad,
 * H(K^ipad, m))): a MAC copies the two states instead of building an HMAC from the key, which
 * costs less than half as much per packet (a node signs every packet to every peer).
 */
class HmacSha256Key {
  private readonly inner: Sha256;
  private readonly outer: Sha256;

  constructor(secret: string) {
    let key: Uint8Array = new TextEncoder().encode(secret);
    if (key.length > SHA256_BLOCK_BYTES) key = new Sha256().update(key).digest();
    const block = new Uint8Array(SHA256_BLOCK_BYTES);
    block.set(key);
    this.inner = new Sha256().update(block.map((b) => b ^ 0x36));
    this.outer = new Sha256().update(block.map((b) => b ^ 0x5c));
  }

  /** The MAC of the concatenation of `parts`. */
  mac(...parts: Uint8Array[]): Uint8Array {
    const h = this.inner.copy();
    for (const p of parts) h.update(p);
    return this.outer.copy().update(h.digest()).digest();
  }
}

/** Keys by secret; a node holds at most two secrets, so a handful of entries is plenty. */
const hmacKeys = new Map<string, HmacSha256Key>();
const HMAC_KEYS_MAX = 8;

function hmacKey(secret: string): HmacSha256Key {
  let k = hmacKeys.get(secret);
  if (k === undefined) {
    if (hmacKeys.size >= HMAC_KEYS_MAX) hmacKeys.clear(); // old secrets after rotations
    k = new HmacSha256Key(secret);
    hmacKeys.set(secret, k);
  }
  return k;
}

/** HMAC-SHA256 of the packet minus its MAC bytes, truncated to BUS_MAC_BYTES. */
export function busPacketMac(packet: Uint8Array, secret: string): Uint8Array {
  const mac = hmacKey(secret).mac(packet.subarray(0, OFF_MAC_CURRENT), packet.subarray(MAC_END));
  return new Uint8Array(mac.subarray(0, BUS_MAC_BYTES));
}

/**
 * A signed copy of `packet` (the original is left untouched: the engine may send one buffer on
 * several links). With authentication off, `packet` itself, byte for byte.
 */
export function signBusPacket(packet: Uint8Array, secrets: BusSecrets): Uint8Array {
  if (!busAuthEnabled(secrets)) return packet;
  if (packet.length < MAC_END) throw new RangeError(`bus packet of ${packet.length} bytes`);
  const out = packet.slice();
  out[OFF_MAC_VERSION] = BUS_MAC_VERSION;
  out.fill(0, OFF_MAC_VERSION + 1, MAC_END);
  out.set(busPacketMac(out, secrets.secret), OFF_MAC_CURRENT);
  if (secrets.previous !== "" && secrets.previous !== secrets.secret) {
    out.set(busPacketMac(out, secrets.previous), OFF_MAC_PREVIOUS);
  }
  return out;
}

/**
 * "ok": accept; "missing": no MAC (an unset node, Redis, a forger) while one is required;
 * "wrong": a MAC that matches none of the secrets.
 */
export type BusMacVerdict = "ok" | "missing" | "wrong";

function sameBytes(a: Uint8Array, b: Uint8Array, bOff: number): boolean {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[bOff + i];
  return diff === 0;
}

/**
 * Checks a received packet. With authentication off every packet is "ok" (nothing changes).
 * Packets shorter than the header have no MAC (the framing layer never hands those over).
 */
export function verifyBusPacket(packet: Uint8Array, secrets: BusSecrets): BusMacVerdict {
  if (!busAuthEnabled(secrets)) return "ok";
  if (packet.length < MAC_END || packet[OFF_MAC_VERSION] !== BUS_MAC_VERSION) {
    return secrets.required === false ? "ok" : "missing";
  }
  const keys = secrets.previous !== "" && secrets.previous !== secrets.secret
    ? [secrets.secret, secrets.previous]
    : [secrets.secret];
  let ok = false;
  for (const k of keys) {
    const mac = busPacketMac(packet, k);
    // Both slots compared every time (no early exit on which one matched).
    const a = sameBytes(mac, packet, OFF_MAC_CURRENT);
    const b = sameBytes(mac, packet, OFF_MAC_PREVIOUS);
    ok = ok || a || b;
  }
  return ok ? "ok" : "wrong";
}

/** How often a dropped packet is logged per peer address. */
export const DROP_LOG_INTERVAL_MS = 60_000;
/** Peer addresses remembered for the rate limit (bounded: the oldest is forgotten). */
export const DROP_LOG_MAX_PEERS = 1024;

/**
 * "Log once per peer address per minute" for dropped packets, bounded in memory. `note` returns
 * the log line to write, or null while that address is quiet-listed; the line counts the drops
 * that were not logged since the previous line.
 */
export class DropLogLimiter {
  private readonly peers = new Map<string, { sinceMs: number; suppressed: number }>();

  constructor(
    readonly intervalMs = DROP_LOG_INTERVAL_MS,
    readonly maxPeers = DROP_LOG_MAX_PEERS,
  ) {}

  get size(): number {
    return this.peers.size;
  }

  note(host: string, port: number, verdict: "missing" | "wrong", nowMs: number): string | null {
    const p = this.peers.get(host);
    if (p !== undefined && nowMs - p.sinceMs < this.intervalMs) {
      p.suppressed++;
      return null;
    }
    const suppressed = p?.suppressed ?? 0;
    this.peers.delete(host);
    while (this.peers.size >= this.maxPeers) {
      const oldest = this.peers.keys().next().value as string;
      this.peers.delete(oldest);
    }
    this.peers.set(host, { sinceMs: nowMs, suppressed: 0 });
    const what = verdict === "missing" ? "without a MAC" : "with a wrong MAC";
    const more = suppressed > 0 ? ` (${suppressed} more dropped since the last report)` : "";
    return `Dropped a cluster bus message ${what} from ${host}:${port}: cluster-bus-secret ` +
      `is set${more}. Further drops from ${host} are logged at most once every ` +
      `${Math.round(this.intervalMs / 1000)} seconds.`;
  }
}
