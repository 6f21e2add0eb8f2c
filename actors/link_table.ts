/**
 * The node's links, one per known peer (actors/link_state.ts), as a persistent map: the node
 * actor (actors/node.ts) holds it in its context and replaces it with `assign` on each
 * PEERS_CHANGED. Stepping a few links costs about sqrt(N) (cluster/node_map.ts), not a copy of
 * all N; dropping links (a node forgotten, or a handshake node renamed) copies the map, as
 * removing a node copies the cluster view.
 */

import { NodeMap } from "../cluster/node_map.ts";
import {
  type LinkEvent,
  linkOpen,
  type LinkStart,
  type LinkState,
  linkStep,
} from "./link_state.ts";

/** What the links learn from one change of the cluster view. */
export type PeerChange =
  | { kind: "added"; start: LinkStart }
  | { kind: "removed"; nodeId: string }
  | { kind: "events"; nodeId: string; events: readonly LinkEvent[] };

/**
 * `links` after `changes`, in their order, at time `nowMs` of the node's timer clock: a link is
 * opened for each added node, dropped for each removed one, stepped by each event of a changed
 * one (events for a peer without a link are ignored). Returns `links` itself when nothing changed.
 */
export function applyPeerChanges(
  links: ReadonlyMap<string, LinkState>,
  changes: readonly PeerChange[],
  nowMs: number,
  nodeTimeoutMs: number,
): ReadonlyMap<string, LinkState> {
  let removed: Set<string> | null = null;
  const updates = new Map<string, LinkState>();
  for (const c of changes) {
    if (c.kind === "removed") {
      (removed ??= new Set()).add(c.nodeId);
      updates.delete(c.nodeId);
    } else if (c.kind === "added") {
      const id = c.start.nodeId;
      removed?.delete(id);
      updates.set(id, linkOpen(c.start, nowMs, nodeTimeoutMs));
    } else {
      const id = c.nodeId;
      const cur = updates.get(id) ?? (removed?.has(id) ? undefined : links.get(id));
      if (cur === undefined) continue;
      let next = cur;
      for (const e of c.events) next = linkStep(next, e, nowMs, nodeTimeoutMs);
      if (next !== cur) updates.set(id, next);
    }
  }
  if (removed === null && updates.size === 0) return links;
  let base = links;
  if (removed !== null && removed.size > 0) {
    const kept = new Map<string, LinkState>();
    for (const [id, link] of links) if (!removed.has(id)) kept.set(id, link);
    base = kept;
  }
  return NodeMap.with(base, updates);
}
