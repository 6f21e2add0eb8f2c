/**
 * TLS test helpers: a local CA and certificates made with `openssl` (local/tls_certs.ts) once per
 * test process, the directives that give a node (ours or a real redis-server) TLS, the
 * `redis-cli --tls` arguments, and a raw TLS probe of a port.
 */

import tls from "node:tls";
import { makeTlsFiles, type TlsFiles } from "../local/tls_certs.ts";
import { run } from "./harness.ts";

let made: Promise<TlsFiles> | null = null;
let other: Promise<TlsFiles> | null = null;
const dirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of dirs) {
    try {
      Deno.removeSync(d, { recursive: true });
    } catch { /* gone */ }
  }
});

async function makeIn(prefix: string): Promise<TlsFiles> {
  const d = await Deno.makeTempDir({ prefix });
  dirs.push(d);
  return await makeTlsFiles(d, 30);
}

/** The CA and certificates of this test run (made once, removed when the process ends). */
export function testTlsFiles(): Promise<TlsFiles> {
  made ??= makeIn("tls-ca-");
  return made;
}

/** Certificates from another CA: valid, but not trusted by the nodes. */
export function untrustedTlsFiles(): Promise<TlsFiles> {
  other ??= makeIn("tls-other-ca-");
  return other;
}

/** Directives that give a node TLS with these files (add tls-port and the tls-* switches). */
export function tlsDirectives(f: TlsFiles): Record<string, string> {
  return {
    "tls-cert-file": f.cert,
    "tls-key-file": f.key,
    "tls-ca-cert-file": f.caCert,
  };
}

/** `redis-cli` arguments for TLS with the client certificate. */
export function cliTlsArgs(f: TlsFiles): string[] {
  return ["--tls", "--cacert", f.caCert, "--cert", f.clientCert, "--key", f.clientKey];
}

/** `redis-cli -p port <tlsArgs> args...`: exit code, stdout (trimmed), stderr. */
export async function cli(
  port: number,
  tlsArgs: string[],
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const r = await run("redis-cli", ["-p", String(port), ...tlsArgs, ...args], {
    timeoutMs: 30_000,
  });
  return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
}

/**
 * A TLS handshake with 127.0.0.1:port (our CA trusted), with our certificate or none, then
 * (`ping`) a PING: "PONG <protocol>" when it is answered, "handshake <protocol>" when not pinging,
 * else the error or "closed" (a refused certificate shows after the handshake, with TLS 1.3).
 */
export function tlsProbe(
  port: number,
  f: TlsFiles,
  opts: {
    cert?: boolean;
    ping?: boolean;
    minVersion?: tls.SecureVersion;
    maxVersion?: tls.SecureVersion;
  } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const withCert = opts.cert !== false;
    const sock = tls.connect({
      host: "127.0.0.1",
      port,
      ca: Deno.readTextFileSync(f.caCert),
      cert: withCert ? Deno.readTextFileSync(f.cert) : undefined,
      key: withCert ? Deno.readTextFileSync(f.key) : undefined,
      minVersion: opts.minVersion,
      maxVersion: opts.maxVersion,
      checkServerIdentity: () => undefined,
    });
    let settled = false;
    const done = (v: string) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(v);
    };
    sock.once("secureConnect", () => {
      if (opts.ping === false) done(`handshake ${sock.getProtocol()}`);
      else sock.write("*1\r\n$4\r\nPING\r\n");
    });
    sock.on("data", (d: Uint8Array) => {
      const text = new TextDecoder().decode(d);
      done(text.startsWith("+PONG") ? `PONG ${sock.getProtocol()}` : text.trim());
    });
    sock.once("error", (e: Error) => done(`error: ${e.message}`));
    sock.once("close", () => done("closed"));
  });
}
