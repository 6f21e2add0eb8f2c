/**
 * `deno task start` options and the local cluster's layout: which ports, which folders, which
 * command line each node gets. Pure (no I/O), so the plan is unit-tested.
 *
 *   --nodes N          how many nodes (default 6)
 *   --replicas N       replicas per master (default 1: 6 nodes -> 3 masters, 3 replicas)
 *   --port P           first client port (default 7000; node i listens on P+i, its bus on P+i+10000)
 *   --node-timeout ms  cluster-node-timeout (default 5000)
 *   --dir D            folder for the nodes' data (default .data/cluster; node i uses D/<port>)
 *   --loglevel L       the nodes' loglevel (default notice)
 *   --join-timeout ms  give up forming/recovering after this long (default 120000)
 *   --inspect PORT     run the node on PORT with --inspect (XState visualizer relay on 8080)
 *   --dashboard-port P the live dashboard's HTTP port (default 8090, another when busy; -1: none)
 *   --tls              TLS on clients, replication and bus: node i also listens with TLS on
 *                      P+i+1000 (its bus, TLS, on P+i+11000), with a local CA and certificates
 *                      made in D/tls (local/tls_certs.ts)
 */

import { intOption, parseArgs, UsageError } from "../manager/args.ts";

export const DEFAULT_BASE_PORT = 7000;
export const DEFAULT_NODES = 6;
export const DEFAULT_REPLICAS = 1;
export const DEFAULT_NODE_TIMEOUT_MS = 5000;
export const DEFAULT_DIR = ".data/cluster";
/** The live dashboard's HTTP port (dashboard/server.ts). */
export const DEFAULT_DASHBOARD_PORT = 8090;
/** Bus port = client port + 10000 (Redis's CLUSTER_PORT_INCR). */
export const BUS_PORT_INCR = 10_000;
/** With --tls: the TLS port is the client port + 1000 (the bus follows the TLS port). */
export const TLS_PORT_INCR = 1000;
/** With --tls: the CA and certificates, in this folder of --dir. */
export const TLS_DIR = "tls";
export const HOST = "127.0.0.1";
/** Each node's log file name inside its folder. */
export const LOG_FILE = "node.log";
/** Each node's cluster config file name inside its folder. */
export const NODES_CONF = "nodes.conf";

const LOG_LEVELS = ["debug", "verbose", "notice", "warning", "nothing"];

export interface StartOptions {
  nodes: number;
  replicas: number;
  basePort: number;
  nodeTimeoutMs: number;
  /** As given (relative to the working directory, or absolute). */
  dir: string;
  loglevel: string;
  joinTimeoutMs: number;
  /** The client port of the node to start with `--inspect`, or null. */
  inspectPort: number | null;
  /** The dashboard's HTTP port (dashboard/); 0 any free port, -1 no dashboard. */
  dashboardPort: number;
  /** TLS on clients, replication and bus (tls-port, tls-cluster, tls-replication). */
  tls: boolean;
  help: boolean;
}

export const START_USAGE = `Usage: deno task start [options]
       deno run -A local/start.ts [options]

Starts a local Redis Cluster of our nodes (each its own process) on ${HOST}, forms it with the
cluster manager's create flow (or, when the folder already holds a cluster, brings that cluster
back from its nodes.conf files), prints the topology and waits; Ctrl-C stops every node.

Options:
  --nodes N          number of nodes (default ${DEFAULT_NODES})
  --replicas N       replicas per master (default ${DEFAULT_REPLICAS}); needs at least 3 masters
  --port P           first client port (default ${DEFAULT_BASE_PORT}); bus ports are +${BUS_PORT_INCR}
  --node-timeout ms  cluster-node-timeout of every node (default ${DEFAULT_NODE_TIMEOUT_MS})
  --dir D            data folder (default ${DEFAULT_DIR}); node on port P uses D/P
  --loglevel L       debug|verbose|notice|warning|nothing (default notice)
  --join-timeout ms  give up forming the cluster after this long (default 120000)
  --inspect PORT     stream the actors of the node on PORT to the XState visualizer: open
                     http://127.0.0.1:8080 (see README, "Watch a node live")
  --dashboard-port P the live cluster dashboard's port (default 8090, any free port when that
                     one is busy; 0: any free port; -1: no dashboard)
  --tls              TLS on clients, replication and the bus: node on port P also listens with
                     TLS on P+${TLS_PORT_INCR} (its bus on P+${
  TLS_PORT_INCR + BUS_PORT_INCR
}); a local CA and certificates
                     are made in <dir>/${TLS_DIR} (needs openssl)
  --help             this text`;

export function parseStartOptions(argv: readonly string[]): StartOptions {
  const p = parseArgs(argv, {
    nodes: "value",
    replicas: "value",
    port: "value",
    "node-timeout": "value",
    dir: "value",
    loglevel: "value",
    "join-timeout": "value",
    inspect: "value",
    "dashboard-port": "value",
    help: "flag",
    h: "flag",
    tls: "flag",
  });
  if (p.positionals.length > 0) {
    throw new UsageError(`Unexpected argument '${p.positionals[0]}'`);
  }
  const o: StartOptions = {
    nodes: intOption(p, "nodes", DEFAULT_NODES, 1, 1000),
    replicas: intOption(p, "replicas", DEFAULT_REPLICAS, 0, 100),
    basePort: intOption(p, "port", DEFAULT_BASE_PORT, 1, 65535),
    nodeTimeoutMs: intOption(p, "node-timeout", DEFAULT_NODE_TIMEOUT_MS, 100, 3_600_000),
    dir: p.values.get("dir") ?? DEFAULT_DIR,
    loglevel: p.values.get("loglevel") ?? "notice",
    joinTimeoutMs: intOption(p, "join-timeout", 120_000, 1000, 86_400_000),
    inspectPort: p.values.has("inspect") ? intOption(p, "inspect", 0, 1, 65535) : null,
    dashboardPort: intOption(p, "dashboard-port", DEFAULT_DASHBOARD_PORT, -1, 65535),
    tls: p.flags.has("tls"),
    help: p.flags.has("help") || p.flags.has("h"),
  };
  if (o.dir === "") throw new UsageError("Option '--dir' must not be empty");
  if (!LOG_LEVELS.includes(o.loglevel)) {
    throw new UsageError(`Option '--loglevel' must be one of ${LOG_LEVELS.join("|")}`);
  }
  const lastPort = o.basePort + o.nodes - 1;
  if (lastPort + BUS_PORT_INCR + (o.tls ? TLS_PORT_INCR : 0) > 65535) {
    throw new UsageError(
      `Ports ${o.basePort}-${lastPort} leave no room for their bus ports (+${BUS_PORT_INCR}); ` +
        `the last port must be ${65535 - BUS_PORT_INCR} or less`,
    );
  }
  if (o.inspectPort !== null && (o.inspectPort < o.basePort || o.inspectPort > lastPort)) {
    throw new UsageError(
      `Option '--inspect' names port ${o.inspectPort}, not one of the nodes (${o.basePort}-${lastPort})`,
    );
  }
  const masters = Math.floor(o.nodes / (o.replicas + 1));
  if (masters < 3) {
    throw new UsageError(
      `${o.nodes} nodes with ${o.replicas} replica(s) each give ${masters} master(s); a cluster ` +
        `needs at least 3 (use --nodes ${3 * (o.replicas + 1)} or fewer --replicas)`,
    );
  }
  return o;
}

/** One node of the local cluster. */
export interface LocalNode {
  port: number;
  busPort: number;
  /** With --tls: the TLS client port (the bus port follows it), else null. */
  tlsPort: number | null;
  /** With --tls: the folder of the CA and certificates, else null. */
  tlsDir: string | null;
  /** "127.0.0.1:7000". */
  addr: string;
  /** Absolute folder: data, nodes.conf, node.log. */
  dir: string;
  /** The folder as the user should see it (relative to the working directory when inside it). */
  shownDir: string;
  logPath: string;
  shownLogPath: string;
  confPath: string;
}

function joinPath(a: string, b: string): string {
  return `${a.replace(/\/+$/, "")}/${b}`;
}

/** The nodes' ports and folders; `cwd` resolves a relative `dir`. */
export function planNodes(o: StartOptions, cwd: string): LocalNode[] {
  const absDir = o.dir.startsWith("/") ? o.dir : joinPath(cwd, o.dir.replace(/^\.\//, ""));
  const out: LocalNode[] = [];
  for (let i = 0; i < o.nodes; i++) {
    const port = o.basePort + i;
    const dir = joinPath(absDir, String(port));
    const shownDir = joinPath(o.dir, String(port));
    const tlsPort = o.tls ? port + TLS_PORT_INCR : null;
    out.push({
      port,
      busPort: (tlsPort ?? port) + BUS_PORT_INCR,
      tlsPort,
      tlsDir: o.tls ? joinPath(absDir, TLS_DIR) : null,
      addr: `${HOST}:${port}`,
      dir,
      shownDir,
      logPath: joinPath(dir, LOG_FILE),
      shownLogPath: joinPath(shownDir, LOG_FILE),
      confPath: joinPath(dir, NODES_CONF),
    });
  }
  return out;
}

/** The node's command line after `deno run -A cli.ts` (redis-server style directives). */
export function nodeArgs(n: LocalNode, o: StartOptions): string[] {
  return [
    "--port",
    String(n.port),
    "--bind",
    HOST,
    "--cluster-enabled",
    "yes",
    "--dir",
    n.dir,
    "--cluster-config-file",
    NODES_CONF,
    "--cluster-node-timeout",
    String(o.nodeTimeoutMs),
    "--logfile",
    n.logPath,
    "--loglevel",
    o.loglevel,
    ...(o.inspectPort === n.port ? ["--inspect"] : []),
    ...(n.tlsPort !== null && n.tlsDir !== null ? tlsArgs(n.tlsPort, n.tlsDir) : []),
  ];
}

/** A node's TLS directives (`--tls`): TLS clients beside plain ones, TLS replication and bus. */
function tlsArgs(tlsPort: number, dir: string): string[] {
  return [
    "--tls-port",
    String(tlsPort),
    "--tls-cert-file",
    joinPath(dir, "redis.crt"),
    "--tls-key-file",
    joinPath(dir, "redis.key"),
    "--tls-ca-cert-file",
    joinPath(dir, "ca.crt"),
    "--tls-cluster",
    "yes",
    "--tls-replication",
    "yes",
  ];
}

/**
 * What a nodes.conf says about this node's cluster: the number of node lines (1 = a fresh node
 * that never joined anything). Pure over the file text; 0 for an empty or missing file.
 */
export function knownNodesInConf(text: string | null): number {
  if (text === null) return 0;
  let n = 0;
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === "" || t.startsWith("vars ") || t.startsWith("#")) continue;
    n++;
  }
  return n;
}

export type StartMode = "create" | "restart";

/**
 * Create a new cluster when no node's nodes.conf knows another node (fresh folders, or nodes
 * that were started but never joined); otherwise bring the existing cluster back.
 */
export function startMode(knownPerNode: readonly number[]): StartMode {
  return knownPerNode.some((k) => k > 1) ? "restart" : "create";
}
