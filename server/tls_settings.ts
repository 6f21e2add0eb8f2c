/**
 * The TLS directives (Redis 7.0's tls-* configs) read into one settings value, pure: the
 * protocols list parsed as tls.c parseProtocolsConfig does, the checks tlsConfigure makes before
 * touching any file, and the directives this server accepts but cannot act on, each with the
 * warning it logs (never silently ignored).
 *
 * Deno's TLS is rustls: only TLSv1.2 and TLSv1.3, and a fixed set of cipher suites that node:tls
 * in Deno does not let a server or client narrow. So `tls-ciphers`, `tls-ciphersuites`,
 * `tls-prefer-server-ciphers`, `tls-dh-params-file` and the session cache knobs are accepted (with
 * Redis's bounds) and logged as having no effect when set away from their defaults.
 */

export type TlsAuthClients = "yes" | "no" | "optional";
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

export interface TlsSettings {
  port: number;
  certFile: string;
  keyFile: string;
  keyFilePass: string;
  clientCertFile: string;
  clientKeyFile: string;
  clientKeyFilePass: string;
  dhParamsFile: string;
  caCertFile: string;
  caCertDir: string;
  protocols: string;
  ciphers: string;
  ciphersuites: string;
  preferServerCiphers: boolean;
  sessionCaching: boolean;
  sessionCacheSize: number;
  sessionCacheTimeoutSec: number;
  cluster: boolean;
  replication: boolean;
  authClients: TlsAuthClients;
}

/** The settings from a config reader (`get(name)` returns CONFIG GET's text). */
export function readTlsSettings(get: (name: string) => string): TlsSettings {
  return {
    port: Number(get("tls-port")),
    certFile: get("tls-cert-file"),
    keyFile: get("tls-key-file"),
    keyFilePass: get("tls-key-file-pass"),
    clientCertFile: get("tls-client-cert-file"),
    clientKeyFile: get("tls-client-key-file"),
    clientKeyFilePass: get("tls-client-key-file-pass"),
    dhParamsFile: get("tls-dh-params-file"),
    caCertFile: get("tls-ca-cert-file"),
    caCertDir: get("tls-ca-cert-dir"),
    protocols: get("tls-protocols"),
    ciphers: get("tls-ciphers"),
    ciphersuites: get("tls-ciphersuites"),
    preferServerCiphers: get("tls-prefer-server-ciphers") === "yes",
    sessionCaching: get("tls-session-caching") === "yes",
    sessionCacheSize: Number(get("tls-session-cache-size")),
    sessionCacheTimeoutSec: Number(get("tls-session-cache-timeout")),
    cluster: get("tls-cluster") === "yes",
    replication: get("tls-replication") === "yes",
    authClients: get("tls-auth-clients") as TlsAuthClients,
  };
}

/** initServer: TLS is configured when a TLS port, TLS replication or a TLS bus is asked for. */
export function tlsWanted(s: TlsSettings): boolean {
  return s.port !== 0 || s.replication || s.cluster;
}

export interface TlsProtocols {
  min: TlsVersion;
  max: TlsVersion;
  /** Versions asked for that rustls does not speak (TLSv1, TLSv1.1). */
  unsupported: string[];
}

/**
 * tls.c parseProtocolsConfig: space-separated, case-insensitive TLSv1 / TLSv1.1 / TLSv1.2 /
 * TLSv1.3; empty means TLSv1.2 and TLSv1.3. The errors are the lines to log.
 */
export function parseTlsProtocols(text: string): TlsProtocols | { error: string[] } {
  if (text === "") return { min: "TLSv1.2", max: "TLSv1.3", unsupported: [] };
  const asked = new Set<string>();
  for (const t of text.split(" ")) {
    const l = t.toLowerCase();
    if (l === "tlsv1") asked.add("TLSv1");
    else if (l === "tlsv1.1") asked.add("TLSv1.1");
    else if (l === "tlsv1.2") asked.add("TLSv1.2");
    else if (l === "tlsv1.3") asked.add("TLSv1.3");
    else {
      return {
        error: [
          "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
        ],
      };
    }
  }
  const unsupported = ["TLSv1", "TLSv1.1"].filter((v) => asked.has(v));
  const has12 = asked.has("TLSv1.2");
  const has13 = asked.has("TLSv1.3");
  if (!has12 && !has13) {
    return {
      error: [
        `tls-protocols '${text}' has no version this server can speak: its TLS library ` +
        "(rustls, in Deno) only implements TLSv1.2 and TLSv1.3.",
      ],
    };
  }
  return { min: has12 ? "TLSv1.2" : "TLSv1.3", max: has13 ? "TLSv1.3" : "TLSv1.2", unsupported };
}

/**
 * tlsConfigure's checks before any file is read: the lines to log (empty when fine).
 * `clientAuthNeeded` mirrors Redis: a CA is needed to verify clients, replicas or bus peers.
 */
export function tlsSettingsErrors(s: TlsSettings): string[] {
  if (s.certFile === "") return ["No tls-cert-file configured!"];
  if (s.keyFile === "") return ["No tls-key-file configured!"];
  if (
    (s.authClients !== "no" || s.cluster || s.replication) && s.caCertFile === "" &&
    s.caCertDir === ""
  ) {
    return [
      "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!",
    ];
  }
  const p = parseTlsProtocols(s.protocols);
  return "error" in p ? p.error : [];
}

/**
 * Warnings for directives that are set but cannot act here (logged at start and at each TLS
 * reconfiguration).
 */
export function tlsNoEffectWarnings(s: TlsSettings): string[] {
  const out: string[] = [];
  const lib = "Deno's TLS (rustls) offers its fixed set of suites and cannot be narrowed";
  if (s.ciphers !== "") out.push(`tls-ciphers '${s.ciphers}' has no effect: ${lib}.`);
  if (s.ciphersuites !== "") {
    out.push(`tls-ciphersuites '${s.ciphersuites}' has no effect: ${lib}.`);
  }
  if (s.preferServerCiphers) {
    out.push("tls-prefer-server-ciphers yes has no effect: rustls always prefers its own order.");
  }
  if (s.dhParamsFile !== "") {
    out.push(
      "tls-dh-params-file has no effect: rustls does not offer DHE key exchange (only ECDHE).",
    );
  }
  if (!s.sessionCaching || s.sessionCacheSize !== 20480 || s.sessionCacheTimeoutSec !== 300) {
    out.push(
      "tls-session-caching / tls-session-cache-size / tls-session-cache-timeout have no effect: " +
        "Deno's TLS keeps its own session cache.",
    );
  }
  const p = parseTlsProtocols(s.protocols);
  if (!("error" in p) && p.unsupported.length > 0) {
    out.push(
      `tls-protocols: ${p.unsupported.join(" and ")} not offered: rustls only implements ` +
        "TLSv1.2 and TLSv1.3.",
    );
  }
  return out;
}

/** A configuration that cannot be used: the lines to log (as Redis logs them). */
export class TlsConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join(" "));
  }
}
