/**
 * TLS for clients, replication and the cluster bus (Redis 7.0's tls.c): `ServerTls`, a node's TLS
 * state: the context, the client TLS listeners (tls-port), and the CONFIG SET path (applyTlsCfg /
 * applyTLSPort): the new files are loaded first, and a failure keeps the previous configuration.
 *
 * The contexts and listeners themselves (node:tls) are in server/tls_context.ts, imported when TLS
 * is first configured (`load`): at start when a tls-* directive asks for TLS, or by the first
 * CONFIG SET of a tls-* directive (commands/config.ts waits for it).
 */

import type { NodeTlsConn } from "./tls_conn.ts";
import {
  readTlsSettings,
  type TlsAuthClients,
  TlsConfigError,
  tlsNoEffectWarnings,
  type TlsSettings,
  tlsWanted,
} from "./tls_settings.ts";
import type { TlsContext, TlsListener } from "./tls_context.ts";
import { importOnFirstUse } from "./lazy_import.ts";

export { TlsConfigError };
export type { TlsContext, TlsListener, TlsListenOptions, TlsMaterial } from "./tls_context.ts";

type TlsContextModule = typeof import("./tls_context.ts");

export interface ServerTlsDeps {
  /** CONFIG GET's text of a directive. */
  get: (name: string) => string;
  warning: (msg: string) => void;
  notice: (msg: string) => void;
  verbose: (msg: string) => void;
  /** Addresses to bind (the `bind` directive resolved). */
  bindAddresses: () => string[];
  /** A client connected over TLS. */
  onConn: (conn: NodeTlsConn) => void;
}

/** A node's TLS: the context, the tls-port listeners, CONFIG SET. */
export class ServerTls {
  context: TlsContext | null = null;
  /** The TLS port bound (differs from the config when it was 0). */
  port = 0;
  private listeners: TlsListener[] = [];
  private readonly extraListeners = new Set<TlsListener>();
  /** server/tls_context.ts once imported (`load`). */
  private module: TlsContextModule | null = null;

  constructor(private readonly deps: ServerTlsDeps) {}

  /** Import the node:tls side (server/tls_context.ts), once. */
  async load(): Promise<void> {
    this.module ??= await importOnFirstUse<typeof import("./tls_context.ts")>(
      new URL("./tls_context.ts", import.meta.url),
    );
  }

  /**
   * Must CONFIG SET of these directives (names, any case) wait for `load` first: a tls-* one
   * while the node:tls side is not imported yet (applyConfig runs synchronously).
   */
  needsLoad(names: string[]): boolean {
    return this.module === null && names.some((n) => n.toLowerCase().startsWith("tls-"));
  }

  /** tlsConfigure (TlsConfigError when a file or setting cannot be used); `load` has run. */
  private configure(s: TlsSettings): TlsContext {
    if (this.module === null) throw new Error("TLS configured before server/tls_context.ts loaded");
    return this.module.TlsContext.configure(s);
  }

  settings(): TlsSettings {
    return readTlsSettings(this.deps.get);
  }

  /** The context for outgoing replication links (null: plain TCP). */
  forReplication(): TlsContext | null {
    return this.settings().replication ? this.context : null;
  }

  /** The context for the bus and MIGRATE (null: plain TCP). */
  forCluster(): TlsContext | null {
    return this.settings().cluster ? this.context : null;
  }

  /** tls-auth-clients as it is now. */
  authClients(): TlsAuthClients {
    return this.settings().authClients;
  }

  /**
   * initServer: configure when tls-port, tls-replication or tls-cluster asks for TLS, then listen
   * on tls-port. Throws an Error with Redis's fatal line after logging the reasons.
   */
  async start(): Promise<void> {
    const s = this.settings();
    if (!tlsWanted(s)) return;
    await this.load();
    try {
      this.context = this.configure(s);
    } catch (e) {
      if (!(e instanceof TlsConfigError)) throw e;
      for (const l of e.lines) this.deps.warning(l);
      throw new Error("Failed to configure TLS. Check logs for more info.");
    }
    for (const w of tlsNoEffectWarnings(s)) this.deps.warning(w);
    if (s.port !== 0) await this.listenAll(s.port);
  }

  private async listenAll(port: number): Promise<void> {
    const ctx = this.context!;
    const opened: TlsListener[] = [];
    try {
      for (const hostname of this.deps.bindAddresses()) {
        const l = await ctx.listen({
          hostname,
          port,
          auth: this.authClients(),
          onConn: this.deps.onConn,
          onError: (m) => this.deps.warning(`Error accepting a client connection: ${m}`),
        });
        port = l.addr.port;
        opened.push(l);
      }
    } catch (e) {
      for (const l of opened) l.close();
      throw new Error(
        `Could not create server TCP listening socket *:${port}: ${(e as Error).message}`,
      );
    }
    this.listeners = opened;
    this.port = port;
  }

  /** A TLS listener someone else opened with our context (the bus): kept up to date. */
  track(l: TlsListener): () => void {
    this.extraListeners.add(l);
    return () => this.extraListeners.delete(l);
  }

  /**
   * CONFIG SET of tls-* directives (already stored; `restore` puts the previous values back).
   * Returns null, or the error reason CONFIG SET replies with.
   */
  applyConfig(names: string[], restore: () => void): string | null {
    const tlsNames = names.filter((n) => n.startsWith("tls-"));
    if (tlsNames.length === 0) return null;
    const s = this.settings();
    const portChanged = tlsNames.includes("tls-port");
    if (tlsNames.includes("tls-auth-clients")) {
      for (const l of this.listeners) l.setAuth(s.authClients);
    }
    const onlyLive = tlsNames.every((n) =>
      n === "tls-auth-clients" || n === "tls-replication" || n === "tls-cluster"
    );
    if (onlyLive && this.context !== null) {
      this.clusterNote(tlsNames);
      return null;
    }
    let ctx = this.context;
    if (tlsWanted(s)) {
      try {
        ctx = this.configure(s);
      } catch (e) {
        if (!(e instanceof TlsConfigError)) throw e;
        for (const l of e.lines) this.deps.warning(l);
        this.deps.warning(
          `Failed applying new configuration. Possibly related to new ${
            tlsNames[0]
          } setting. Restoring previous settings.`,
        );
        restore();
        return "Unable to update TLS configuration. Check server logs.";
      }
      for (const w of tlsNoEffectWarnings(s)) this.deps.warning(w);
    }
    if (portChanged && s.port !== this.port) {
      if (s.port !== 0) {
        // Probe synchronously so that CONFIG SET can answer (the listen itself is async).
        try {
          for (const hostname of this.deps.bindAddresses()) {
            Deno.listen({ hostname, port: s.port, transport: "tcp" }).close();
          }
        } catch (e) {
          this.deps.warning(
            `Warning: Could not create server TCP listening socket *:${s.port}: ${
              (e as Error).message
            }`,
          );
          this.deps.warning(
            "Failed applying new configuration. Possibly related to new tls-port setting. " +
              "Restoring previous settings.",
          );
          restore();
          return "Unable to listen on this port. Check server logs.";
        }
      }
      for (const l of this.listeners) l.close();
      this.listeners = [];
      this.port = 0;
      this.context = ctx;
      if (s.port !== 0) {
        this.listenAll(s.port).catch((e) => this.deps.warning((e as Error).message));
      }
    } else {
      this.context = ctx;
    }
    if (ctx !== null) {
      for (const l of this.listeners) l.update(ctx);
      for (const l of this.extraListeners) l.update(ctx);
    }
    this.clusterNote(tlsNames);
    return null;
  }

  private clusterNote(names: string[]): void {
    if (!names.includes("tls-cluster")) return;
    this.deps.notice(
      "tls-cluster changed: outgoing bus links and MIGRATE follow it now; the bus listener " +
        "and the ports this node announces follow it at the next restart.",
    );
  }

  close(): void {
    for (const l of this.listeners) l.close();
    this.listeners = [];
  }
}
