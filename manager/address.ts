/** `host:port` arguments ("127.0.0.1:7000", "[::1]:7000", "localhost:7000"), parsed strictly. */

export interface Addr {
  host: string;
  port: number;
}

export class AddrError extends Error {
  override name = "AddrError";
}

export function parseAddr(text: string): Addr {
  const colon = text.lastIndexOf(":");
  if (colon <= 0) throw new AddrError(`Invalid address '${text}': expected host:port`);
  let host = text.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port < 1 || port > 65535) {
    throw new AddrError(`Invalid port in '${text}'`);
  }
  return { host, port };
}

export function formatAddr(a: Addr): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const IPV4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;

/** A numeric IP for MEET (CLUSTER MEET wants an IP, not a name). */
export async function resolveIp(host: string): Promise<string> {
  if (IPV4.test(host) || host.includes(":")) return host;
  if (host === "localhost") return "127.0.0.1";
  try {
    const a = await Deno.resolveDns(host, "A");
    if (a.length > 0) return a[0];
  } catch { /* fall through */ }
  return host;
}
