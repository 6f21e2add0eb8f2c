/**
 * The node:tls side of TLS (Redis 7.0's tls.c; see server/tls_conn.ts for why not
 * Deno.listenTls), imported by server/tls.ts only when TLS is configured: node:tls and
 * node:crypto load Deno's Node compatibility layer (~4 MiB of RSS), which a node without TLS
 * never needs.
 *
 * - `loadTlsMaterial`: tls.c createSSLContext's file loading and checks (certificate, key with an
 *   optional passphrase, CA file and/or directory, the client certificate for outgoing links),
 *   failing with the lines Redis logs.
 * - `TlsContext`: one loaded configuration. `listen` accepts TLS connections on a port, checking
 *   the peer's certificate as `tls-auth-clients` says at the time of each accept (the bus always
 *   asks for one, as Redis's clusterAcceptHandler does); `connect` opens an outgoing link (replica
 *   to master, bus, MIGRATE) that presents our client certificate and verifies the peer's chain
 *   against our CA (not its host name: Redis does not check it either).
 */

import tls from "node:tls";
import crypto from "node:crypto";
import { NodeTlsConn } from "./tls_conn.ts";
import {
  parseTlsProtocols,
  type TlsAuthClients,
  TlsConfigError,
  type TlsProtocols,
  type TlsSettings,
  tlsSettingsErrors,
} from "./tls_settings.ts";

export interface TlsMaterial {
  cert: string;
  key: string;
  ca: string[];
  /** What outgoing links present (tls-client-cert-file, else the server certificate). */
  clientCert: string;
  clientKey: string;
  protocols: TlsProtocols;
}

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  return (e as Error)?.message ?? String(e);
}

function readText(path: string, what: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw new TlsConfigError([`Failed to load ${what}: ${path}: ${reason(e)}`]);
  }
}

/** A certificate chain file: the PEM text, checked to parse. */
function loadCert(path: string, what: string): { pem: string; x509: crypto.X509Certificate } {
  const pem = readText(path, what);
  try {
    return { pem, x509: new crypto.X509Certificate(pem) };
  } catch (e) {
    throw new TlsConfigError([`Failed to load ${what}: ${path}: ${reason(e)}`]);
  }
}

/** A private key (decrypted with `pass` when given), as unencrypted PKCS#8 PEM. */
function loadKey(path: string, pass: string, cert: crypto.X509Certificate): string {
  const text = readText(path, "private key");
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(pass !== "" ? { key: text, passphrase: pass } : { key: text });
  } catch (e) {
    throw new TlsConfigError([`Failed to load private key: ${path}: ${reason(e)}`]);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new TlsConfigError([`Failed to load private key: ${path}: key values mismatch`]);
  }
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** tls-ca-cert-file and tls-ca-cert-dir (every file in the directory holding certificates). */
function loadCa(file: string, dir: string): string[] {
  const out: string[] = [];
  try {
    if (file !== "") out.push(...(Deno.readTextFileSync(file).match(PEM_CERT) ?? []));
    if (dir !== "") {
      for (const entry of Deno.readDirSync(dir)) {
        if (!entry.isFile && !entry.isSymlink) continue;
        let text: string;
        try {
          text = Deno.readTextFileSync(`${dir.replace(/\/+$/, "")}/${entry.name}`);
        } catch {
          continue;
        }
        out.push(...(text.match(PEM_CERT) ?? []));
      }
    }
  } catch (e) {
    throw new TlsConfigError([
      `Failed to configure CA certificate(s) file/directory: ${reason(e)}`,
    ]);
  }
  if (out.length === 0) {
    throw new TlsConfigError([
      "Failed to configure CA certificate(s) file/directory: no certificate found",
    ]);
  }
  return out;
}

/** tlsConfigure: everything a TLS context needs, or TlsConfigError. */
export function loadTlsMaterial(s: TlsSettings): TlsMaterial {
  const errors = tlsSettingsErrors(s);
  if (errors.length > 0) throw new TlsConfigError(errors);
  const protocols = parseTlsProtocols(s.protocols) as TlsProtocols;
  const server = loadCert(s.certFile, "certificate");
  const key = loadKey(s.keyFile, s.keyFilePass, server.x509);
  const ca = s.caCertFile !== "" || s.caCertDir !== "" ? loadCa(s.caCertFile, s.caCertDir) : [];
  if (s.dhParamsFile !== "") {
    // Read and checked as Redis does, though rustls cannot use DH parameters (logged).
    try {
      Deno.readTextFileSync(s.dhParamsFile);
    } catch (e) {
      throw new TlsConfigError([`Failed to load ${s.dhParamsFile}: ${reason(e)}`]);
    }
  }
  let clientCert = server.pem;
  let clientKey = key;
  if (s.clientCertFile !== "") {
    const c = loadCert(s.clientCertFile, "client certificate");
    clientCert = c.pem;
    clientKey = loadKey(
      s.clientKeyFile !== "" ? s.clientKeyFile : s.keyFile,
      s.clientKeyFilePass,
      c.x509,
    );
  }
  return { cert: server.pem, key, ca, clientCert, clientKey, protocols };
}

export interface TlsListener {
  readonly addr: Deno.NetAddr;
  /** Stop accepting (connections already accepted stay). */
  close(): void;
  /** Serve new handshakes with another context (CONFIG SET of a certificate). */
  update(ctx: TlsContext): void;
  /** Check the certificates of new peers as `tls-auth-clients` now says. */
  setAuth(mode: TlsAuthClients): void;
}

export interface TlsListenOptions {
  hostname: string;
  port: number;
  /** `tls-auth-clients` (the bus passes "yes"); `setAuth` changes it later. */
  auth: TlsAuthClients;
  onConn: (conn: NodeTlsConn) => void;
  /** A handshake or certificate check failed (the connection is already dropped). */
  onError: (message: string) => void;
}

export class TlsContext {
  constructor(readonly material: TlsMaterial) {}

  static configure(s: TlsSettings): TlsContext {
    return new TlsContext(loadTlsMaterial(s));
  }

  /** The node:tls options of a listening side. */
  serverOptions(): tls.TlsOptions {
    const m = this.material;
    return {
      key: m.key,
      cert: m.cert,
      ca: m.ca.length > 0 ? m.ca : undefined,
      minVersion: m.protocols.min,
      maxVersion: m.protocols.max,
    };
  }

  listen(o: TlsListenOptions): Promise<TlsListener> {
    const server = tls.createServer(this.serverOptions());
    let mode = o.auth;
    // SSL_VERIFY_PEER (| FAIL_IF_NO_PEER_CERT for "yes"): the handshake itself fails, so the
    // peer sees what Redis's peers see. node:tls reads these two fields at each accept.
    const setAuth = (m: TlsAuthClients) => {
      mode = m;
      const srv = server as unknown as { requestCert: boolean; rejectUnauthorized: boolean };
      srv.requestCert = m !== "no";
      srv.rejectUnauthorized = m === "yes";
    };
    setAuth(mode);
    server.on("secureConnection", (sock: tls.TLSSocket) => {
      // "optional": no certificate is fine, a certificate that does not verify is not.
      if (mode === "optional" && !sock.authorized) {
        const peer = sock.getPeerCertificate();
        if (peer !== null && peer !== undefined && Object.keys(peer).length > 0) {
          o.onError(`certificate verify failed: ${sock.authorizationError ?? "unknown"}`);
          sock.destroy();
          return;
        }
      }
      sock.setNoDelay(true);
      o.onConn(new NodeTlsConn(sock));
    });
    server.on("tlsClientError", (e: Error) => o.onError(e.message));
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      server.once("error", fail);
      server.listen({ port: o.port, host: o.hostname, ipv6Only: o.hostname.includes(":") }, () => {
        server.off("error", fail);
        server.on("error", (e: Error) => o.onError(`listener: ${e.message}`));
        const a = server.address() as { address: string; port: number };
        resolve({
          addr: { transport: "tcp", hostname: a.address, port: a.port },
          close: () => {
            try {
              server.close();
            } catch { /* already closed */ }
          },
          update: (ctx) => server.setSecureContext(ctx.serverOptions()),
          setAuth,
        });
      });
    });
  }

  /** An outgoing TLS link, handshake done, within `timeoutMs`. */
  connect(host: string, port: number, timeoutMs: number): Promise<NodeTlsConn> {
    const m = this.material;
    return new Promise((resolve, reject) => {
      let done = false;
      const sock = tls.connect({
        host,
        port,
        ca: m.ca.length > 0 ? m.ca : undefined,
        cert: m.clientCert,
        key: m.clientKey,
        minVersion: m.protocols.min,
        maxVersion: m.protocols.max,
        // Redis verifies the chain, not the name (replicas and bus peers are reached by IP).
        checkServerIdentity: () => undefined,
      });
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        sock.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, Math.max(1, timeoutMs));
      sock.once("secureConnect", () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.setNoDelay(true);
        resolve(new NodeTlsConn(sock));
      });
      sock.once("error", (e: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        reject(new Error(`TLS connect to ${host}:${port} failed: ${e.message}`));
      });
    });
  }
}
