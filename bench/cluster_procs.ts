/**
 * Bench clusters: N processes of one kind (ours or real `redis-server`, bench/procs.ts) made into
 * a cluster the way users make one, `redis-cli --cluster create` (with `--cluster-replicas`), and
 * waited for until every node says ok, knows every replica, and every replica is in sync.
 */

import { cli, type Proc, start, stop } from "./procs.ts";

/** redis-cli with `args`; stdout and stderr together; throws on a non-zero exit. */
export async function redisCli(args: string[]): Promise<string> {
  const r = await new Deno.Command("redis-cli", { args, stdout: "piped", stderr: "piped" })
    .output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (r.code !== 0) throw new Error(`redis-cli ${args.join(" ")} failed (${r.code}):\n${out}`);
  return out;
}

/** Poll (every 10 ms) until `ok()` or `timeoutMs`; the poll's own cost bounds the precision. */
export async function until(
  what: string,
  ok: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every port says cluster_state:ok. */
export async function allOk(ports: number[]): Promise<boolean> {
  for (const p of ports) {
    if (!(await cli(p, "cluster", "info")).includes("cluster_state:ok")) return false;
  }
  return true;
}

const SETTLE_TIMEOUT_MS = 30_000;

/**
 * `nodes` processes of `kind`, made a cluster with `replicas` replicas per master; resolves once
 * every node is ok, lists every replica, and every replica's link to its master is up. On a
 * failure the processes are stopped before the error is thrown.
 */
export async function startCluster(
  kind: "ours" | "redis",
  nodes: number,
  replicas: number,
  extra: Record<string, string> = {},
): Promise<Proc[]> {
  const procs: Proc[] = [];
  try {
    for (let i = 0; i < nodes; i++) procs.push(await start(kind, true, false, extra));
    const addrs = procs.map((n) => `127.0.0.1:${n.port}`);
    await redisCli([
      "--cluster",
      "create",
      ...addrs,
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    const ports = procs.map((n) => n.port);
    await until("cluster_state:ok", () => allOk(ports), SETTLE_TIMEOUT_MS);
    const replicaCount = nodes - Math.floor(nodes / (replicas + 1));
    // Every node sees every replica (redis-cli sets them up after the slots).
    await until(`${replicaCount} replicas known everywhere`, async () => {
      for (const p of ports) {
        const nodesText = await cli(p, "cluster", "nodes");
        if ((nodesText.match(/ (myself,)?slave /g) ?? []).length !== replicaCount) return false;
      }
      return true;
    }, SETTLE_TIMEOUT_MS);
    await until("replicas in sync", async () => {
      for (const p of ports) {
        const info = await cli(p, "info", "replication");
        if (info.includes("role:slave") && !info.includes("master_link_status:up")) return false;
      }
      return true;
    }, SETTLE_TIMEOUT_MS);
    return procs;
  } catch (e) {
    for (const p of procs) await stop(p);
    throw e;
  }
}
