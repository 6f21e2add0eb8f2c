/**
 * A local certificate authority and certificates made with `openssl`, as Redis's
 * utils/gen-test-certs.sh makes them: `ca.crt`/`ca.key`, `redis.crt`/`redis.key` (used by the
 * nodes as server and as client: replication, bus), `client.crt`/`client.key` (clientAuth only,
 * for tools and client libraries). EC P-256 keys (fast to make); the certificates name
 * 127.0.0.1, ::1 and localhost, so clients that check the host name (ioredis, node-redis) accept
 * them. Used by `deno task start --tls` (local/start.ts) and the TLS tests.
 */

export interface TlsFiles {
  dir: string;
  caCert: string;
  caKey: string;
  /** The nodes' certificate (server and client use). */
  cert: string;
  key: string;
  /** A client-only certificate. */
  clientCert: string;
  clientKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `openssl ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

export function tlsFilesIn(dir: string): TlsFiles {
  return {
    dir,
    caCert: `${dir}/ca.crt`,
    caKey: `${dir}/ca.key`,
    cert: `${dir}/redis.crt`,
    key: `${dir}/redis.key`,
    clientCert: `${dir}/client.crt`,
    clientKey: `${dir}/client.key`,
  };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Make the CA and certificates in `dir` (kept when all are already there). */
export async function makeTlsFiles(dir: string, days = 3650): Promise<TlsFiles> {
  const f = tlsFilesIn(dir);
  if ([f.caCert, f.caKey, f.cert, f.key, f.clientCert, f.clientKey].every(exists)) return f;
  Deno.mkdirSync(dir, { recursive: true });
  const ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
  await openssl(["genpkey", ...ec, "-out", "ca.key"], dir);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-nodes",
    "-sha256",
    "-key",
    "ca.key",
    "-days",
    String(days),
    "-subj",
    "/O=Redis Test/CN=Certificate Authority",
    "-out",
    "ca.crt",
  ], dir);
  const san = "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost";
  const kinds: [string, string, string][] = [
    ["redis", "/O=Redis Test/CN=Generic-cert", "keyUsage=digitalSignature,keyEncipherment"],
    [
      "client",
      "/O=Redis Test/CN=Client-only",
      "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth",
    ],
  ];
  for (const [name, subj, ext] of kinds) {
    Deno.writeTextFileSync(`${dir}/${name}.ext`, `${ext}\n${san}\n`);
    await openssl(["genpkey", ...ec, "-out", `${name}.key`], dir);
    await openssl([
      "req",
      "-new",
      "-sha256",
      "-key",
      `${name}.key`,
      "-subj",
      subj,
      "-out",
      `${name}.csr`,
    ], dir);
    await openssl([
      "x509",
      "-req",
      "-sha256",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      String(days),
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    ], dir);
    Deno.removeSync(`${dir}/${name}.csr`);
    Deno.removeSync(`${dir}/${name}.ext`);
  }
  return f;
}
