/**
 * The XState visualizer for a node (`cli.ts ... --inspect`; flags in inspect_args.ts): the
 * node's actor system (clusterNode with its links, supervisor; see actors/node.ts) is
 * streamed with @statelyai/inspect's WebSocket inspector, to a relay started here
 * (inspect_relay.ts: a page at http://127.0.0.1:<port> that embeds the Stately inspector UI and
 * forwards the events to it) or to one given by URL.
 *
 * The supervisor's 100 ms cron ticks send nothing while they change nothing (an idle tick runs
 * no macrostep: actors/supervisor.ts `cronTicker`), so every event shown is one that mattered.
 *
 * The per-peer links are data in the node records of the view that clusterNode's context holds
 * (actors/link_state.ts, cluster/peer_link.ts): its snapshots show them as `links`, an object by
 * node id, each with its state name and its timers' deadlines (ms on the node's timer clock,
 * `performance.now()`); the link chart itself is `cli.ts machines peerLink`.
 */

import type { InspectionEvent } from "xstate";
import { linkStateName } from "./link_state.ts";
import type { ClusterState } from "../cluster/state.ts";
import { peerLinks } from "./node.ts";
import { createWebSocketInspector } from "@statelyai/inspect";
import { type Relay, startRelay } from "./inspect_relay.ts";
import type { InspectTarget } from "./inspect_args.ts";

export interface NodeInspector {
  /** XState's inspection callback (createActor's `inspect` option). */
  inspect: (event: InspectionEvent) => void;
  /** Lines to log once the node runs (where to look). */
  notes: string[];
  stop(): void;
}

/** Start the relay (for kind "relay") and the WebSocket inspector. */
export function startInspector(target: InspectTarget): NodeInspector {
  let relay: Relay | null = null;
  let url: string;
  const notes: string[] = [];
  if (target.kind === "relay") {
    relay = startRelay(target.port);
    url = relay.wsUrl;
    notes.push(
      `XState inspector: open ${relay.pageUrl} in a browser to watch this node's actors ` +
        "(the page loads the Stately inspector UI from stately.ai)",
    );
  } else {
    url = target.url;
    notes.push(`XState inspector: streaming this node's actors to ${url}`);
  }
  const inspector = createWebSocketInspector({ url });
  return {
    inspect: (e) => inspector.inspect.next?.(withPlainLinks(e)),
    notes,
    stop() {
      inspector.stop();
      relay?.stop();
    },
  };
}

/**
 * The event with clusterNode's cluster view (`view`, whose Maps serialize as `{}`) shown as
 * `links`: a plain object of each peer's link by node id (actors/node.ts `peerLinks`), with its
 * state name ("connected", "pfail", ...). The view itself (slot tables and all) is left out.
 */
export function withPlainLinks(e: InspectionEvent): InspectionEvent {
  if (e.type !== "@xstate.snapshot") return e;
  const snap = e.snapshot as { context?: { view?: ClusterState | null } };
  if (snap.context === undefined || !("view" in snap.context)) return e;
  const links: Record<string, unknown> = {};
  for (const [id, link] of peerLinks(snap.context.view ?? null)) {
    links[id] = { state: linkStateName(link), ...link };
  }
  const { view: _view, ...rest } = snap.context;
  const snapshot = { ...snap, context: { ...rest, links } };
  return { ...e, snapshot } as unknown as InspectionEvent;
}
