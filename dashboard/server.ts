/**
 * The dashboard's HTTP server (Deno.serve): the page (static/index.html with the current view
 * and timeline inlined, so it renders before any script fetches anything), its script and
 * style, a server-sent-events stream of views, timeline events and action progress, and a small
 * JSON API:
 *
 *   GET  /                 the page
 *   GET  /static/<file>    app.js, style.css
 *   GET  /events           SSE: "snapshot" once, then "view" (view + new events) and "job"
 *   GET  /api/view         { view, timeline, jobs }
 *   GET  /api/slot?slot=N  { slot, ownerId, addr, keys } (CLUSTER COUNTKEYSINSLOT on the owner)
 *   POST /api/failover     { replica: "host:port", mode: ""|"force"|"takeover", confirm: true }
 *   POST /api/move         { from: id, to: id, slots: N, confirm: true }
 */

import { NodeClient } from "../manager/client.ts";
import { parseAddr } from "../manager/address.ts";
import { CLUSTER_SLOTS } from "../protocol/slot.ts";
import { ActionError, type Job, Jobs } from "./actions.ts";
import { ClusterWatcher, type WatcherOptions } from "./poller.ts";
import { expandRanges } from "./view_model.ts";

const STATIC_DIR = new URL("./static/", import.meta.url);
const STATIC_FILES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};
const SSE_HEARTBEAT_MS = 15_000;
/** The page's inlined state (static/index.html holds `null` there). */
const INITIAL_STATE = /(<script id="initial-state" type="application\/json">)[^<]*(<\/script>)/;
const enc = new TextEncoder();

export interface DashboardOptions {
  /** Nodes to start from (host:port); the rest are found through CLUSTER NODES. */
  seeds: string[];
  hostname?: string;
  /** 0: any free port. */
  port?: number;
  watcher?: Partial<WatcherOptions>;
}

export interface Dashboard {
  url: string;
  port: number;
  watcher: ClusterWatcher;
  jobs: Jobs;
  close(): Promise<void>;
}

/** JSON for inlining inside a <script> element. */
export function inlineJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(
    /\u2029/g,
    "\\u2029",
  );
}

function json(v: unknown, status = 200): Response {
  return new Response(JSON.stringify(v), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

function sseFrame(event: string, data: unknown): Uint8Array {
  return enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const watcher = new ClusterWatcher(opts.seeds, opts.watcher);
  /** Open SSE streams with their heartbeat timers. */
  const streams = new Map<
    ReadableStreamDefaultController<Uint8Array>,
    ReturnType<typeof setInterval>
  >();
  const drop = (c: ReadableStreamDefaultController<Uint8Array>) => {
    clearInterval(streams.get(c));
    streams.delete(c);
  };
  const broadcast = (frame: Uint8Array) => {
    for (const c of [...streams.keys()]) {
      try {
        c.enqueue(frame);
      } catch {
        drop(c);
      }
    }
  };
  const jobs = new Jobs((job: Job) => broadcast(sseFrame("job", job)));
  watcher.onChange((view, events) => broadcast(sseFrame("view", { view, events })));
  watcher.start();
  const snapshot = () => ({
    view: watcher.view,
    timeline: watcher.timeline.all(),
    jobs: jobs.all(),
  });
  const template = await Deno.readTextFile(new URL("index.html", STATIC_DIR));

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = url.pathname;
    if (req.method === "GET" && (path === "/" || path === "/index.html")) {
      const html = template.replace(
        INITIAL_STATE,
        (_m, open: string, close: string) => open + inlineJson(snapshot()) + close,
      );
      return new Response(html, {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    if (req.method === "GET" && path.startsWith("/static/")) {
      const name = path.slice("/static/".length);
      const type = STATIC_FILES[name];
      if (type === undefined) return new Response("not found", { status: 404 });
      return new Response(await Deno.readFile(new URL(name, STATIC_DIR)), {
        headers: { "content-type": type, "cache-control": "no-store" },
      });
    }
    if (req.method === "GET" && path === "/events") {
      let ctl: ReadableStreamDefaultController<Uint8Array> | null = null;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          ctl = c;
          c.enqueue(enc.encode("retry: 500\n\n"));
          c.enqueue(sseFrame("snapshot", snapshot()));
          streams.set(
            c,
            setInterval(() => {
              try {
                c.enqueue(enc.encode(": beat\n\n"));
              } catch {
                drop(c);
              }
            }, SSE_HEARTBEAT_MS),
          );
        },
        cancel() {
          if (ctl !== null) drop(ctl);
        },
      });
      return new Response(body, {
        headers: {
          "content-type": "text/event-stream",
          "cache-control": "no-store",
          "connection": "keep-alive",
        },
      });
    }
    if (req.method === "GET" && path === "/api/view") return json(snapshot());
    if (req.method === "GET" && path === "/api/slot") {
      const slot = Number(url.searchParams.get("slot"));
      if (!Number.isInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) {
        return json({ error: "slot must be 0-16383" }, 400);
      }
      const view = watcher.view;
      const ownerId = view ? expandRanges(view.slots)[slot] : null;
      const owner = view?.nodes.find((n) => n.id === ownerId);
      if (owner === undefined) return json({ slot, ownerId, addr: null, keys: null });
      try {
        const a = parseAddr(owner.addr);
        const c = await NodeClient.connect(a.host, a.port, 2000);
        try {
          const keys = await c.callInt("CLUSTER", "COUNTKEYSINSLOT", slot);
          return json({ slot, ownerId, addr: owner.addr, keys });
        } finally {
          c.close();
        }
      } catch (e) {
        return json({ slot, ownerId, addr: owner.addr, keys: null, error: (e as Error).message });
      }
    }
    if (req.method === "POST" && (path === "/api/failover" || path === "/api/move")) {
      let body: Record<string, unknown>;
      try {
        body = await req.json();
      } catch {
        return json({ error: "expected a JSON body" }, 400);
      }
      if (body.confirm !== true) return json({ error: "not confirmed" }, 400);
      try {
        if (path === "/api/failover") {
          const mode = body.mode === "force" || body.mode === "takeover" ? body.mode : "";
          return json(jobs.failover(String(body.replica), mode));
        }
        const slots = Number(body.slots);
        if (!Number.isInteger(slots) || slots < 1 || slots > CLUSTER_SLOTS) {
          return json({ error: "slots must be 1-16384" }, 400);
        }
        const entry = watcher.view?.nodes.find((n) => n.reachable && n.role === "master");
        if (entry === undefined) return json({ error: "no reachable master" }, 409);
        return json(jobs.move({
          entry: entry.addr,
          fromId: String(body.from),
          toId: String(body.to),
          slots,
        }));
      } catch (e) {
        if (e instanceof ActionError) return json({ error: e.message }, 409);
        return json({ error: (e as Error).message }, 400);
      }
    }
    return new Response("not found", { status: 404 });
  };

  const server = Deno.serve({
    hostname: opts.hostname ?? "127.0.0.1",
    port: opts.port ?? 0,
    onListen: () => {},
  }, handler);
  const port = server.addr.port;
  const host = opts.hostname ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    port,
    watcher,
    jobs,
    async close() {
      for (const c of [...streams.keys()]) {
        drop(c);
        try {
          c.close();
        } catch { /* closed */ }
      }
      await watcher.stop();
      await server.shutdown();
    },
  };
}
