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
    const opened = await this.openListeners(this.context!, port);
    this.listeners = opened.listeners;
    this.port = opened.port;
  }

  /** A TLS listener on `port` (0: any) on every bind address, or none and an Error. */
  private async openListeners(
    ctx: TlsContext,
    port: number,
  ): Promise<{ listeners: TlsListener[]; port: number }> {
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
    return { listeners: opened, port };
  }

  /** A TLS listener someone else opened with our context (the bus): kept up to date. */
  track(l: TlsListener): () => void {
    this.extraListeners.add(l);
    return () => this.extraListeners.delete(l);
  }

  /**
   * CONFIG SET of tls-* directives (already stored; `restore` puts the previous values back).
   * Returns null, or the error reason CONFIG SET replies with; a new tls-port answers once its
   * listeners are open, or failed to open (config.c applyTLSPort binds before CONFIG SET replies).
   */
  applyConfig(
    names: string[],
    restore: () => void,
  ): string | null | Promise<string | null> {
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
      if (s.port === 0) {
        for (const l of this.listeners) l.close();
        this.listeners = [];
        this.port = 0;
        this.context = ctx;
      } else {
        // The new listeners open before the old ones close: on failure nothing changed. No
        // listen-and-close probe: a probe's socket, inherited by a process spawned at that
        // moment, keeps the port bound after the close (tests/ports.ts).
        const next = ctx;
        if (next === null) throw new Error("tls-port set without a TLS context"); // tlsWanted
        return this.openListeners(next, s.port).then(
          (opened) => {
            for (const l of this.listeners) l.close();
            this.listeners = opened.listeners;
            this.port = opened.port;
            this.context = next;
            this.updateListeners(next);
            this.clusterNote(tlsNames);
            return null;
          },
          (e) => {
            this.deps.warning(`Warning: ${(e as Error).message}`);
            this.deps.warning(
              "Failed applying new configuration. Possibly related to new tls-port setting. " +
                "Restoring previous settings.",
            );
            restore();
            return "Unable to listen on this port. Check server logs.";
          },
        );
      }
    } else {
      this.context = ctx;
    }
    if (ctx !== null) this.updateListeners(ctx);
    this.clusterNote(tlsNames);
    return null;
  }

  /** Every listener serves new connections with `ctx`. */
  private updateListeners(ctx: TlsContext): void {
    for (const l of this.listeners) l.update(ctx);
    for (const l of this.extraListeners) l.update(ctx);
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
