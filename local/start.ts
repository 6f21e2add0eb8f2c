/**
 * `deno task start`: a local Redis Cluster in one command (options.ts lists the flags).
 *
 *   1. plan ports and folders (.data/cluster/<port> by default), refuse busy ports;
 *   2. spawn one `deno run -A cli.ts` process per node (node_process.ts), logs in each folder;
 *   3. new folders: form the cluster with the cluster manager's create flow (manager/create.ts);
 *      folders that already hold a cluster (nodes.conf knows other nodes): just wait for
 *      cluster_state:ok — the nodes find each other again from their files (refused when the
 *      folder's cluster has another size than asked for: never a half-new cluster);
 *   4. print the topology and how to connect (topology.ts), then wait;
 *   5. Ctrl-C (SIGINT) or SIGTERM: SIGTERM every node, wait for each, exit 0.
 * A node that dies while the cluster runs is reported (with its log path) and the rest go on.
 */

import { parseArgs, UsageError } from "../manager/args.ts";
import { EXIT_OK, EXIT_USAGE } from "../manager/command.ts";
import { createCommand } from "../manager/create.ts";
import { type Out, stdoutOut } from "../manager/format.ts";
import { clusterNodes, waitClusterOk } from "./cluster_status.ts";
import { NodeProcess, portFree } from "./node_process.ts";
import {
  HOST,
  knownNodesInConf,
  type LocalNode,
  LOG_FILE,
  nodeArgs,
  parseStartOptions,
  planNodes,
  START_USAGE,
  startMode,
  type StartOptions,
  TLS_DIR,
} from "./options.ts";
import { topologyText } from "./topology.ts";
import { makeTlsFiles } from "./tls_certs.ts";
import { DEFAULT_INSPECT_PORT } from "../actors/inspect_args.ts";
import { type Dashboard, startDashboard } from "../dashboard/server.ts";

const EXIT_FAIL = 1;
const NODE_START_TIMEOUT_MS = 30_000;

function readTextOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

class LocalCluster {
  readonly procs: NodeProcess[] = [];
  private stopping: Promise<void> | null = null;
  /** Set by the signal handler at once: nodes that exit from here on were asked to. */
  quitting = false;
  ready = false;

  constructor(
    readonly opts: StartOptions,
    readonly nodes: readonly LocalNode[],
    readonly out: Out,
  ) {}

  get stopRequested(): boolean {
    return this.stopping !== null;
  }

  spawnAll(): void {
    for (const n of this.nodes) {
      Deno.mkdirSync(n.dir, { recursive: true });
      const p = new NodeProcess(n, nodeArgs(n, this.opts));
      this.procs.push(p);
      p.exited.then((code) => this.onExit(p, code));
    }
  }

  private onExit(p: NodeProcess, code: number): void {
    // Ctrl-C on a terminal reaches the nodes too (same process group): not a surprise then.
    if (this.stopping !== null || this.quitting) return;
    const n = p.node;
    this.out.line(
      `[WARNING] Node ${n.addr} (pid ${p.pid}) exited with code ${code}; its log: ${n.shownLogPath}` +
        (p.stderr !== "" ? `\n${p.stderr}` : ""),
      "warn",
    );
  }

  /** Wait until every node listens; throws naming the node that did not come up. */
  async waitListening(): Promise<void> {
    let up = 0;
    await Promise.all(this.procs.map(async (p) => {
      const ok = await p.waitListening(NODE_START_TIMEOUT_MS);
      if (!ok) {
        throw new Error(
          `node ${p.node.addr} did not start (see ${p.node.shownLogPath})` +
            (p.stderr !== "" ? `:\n${p.stderr}` : ""),
        );
      }
      up++;
      this.out.line(`    ${p.node.addr} up (pid ${p.pid}) [${up}/${this.procs.length}]`);
    }));
  }

  /** SIGTERM every node and wait for all of them (once, however often it is asked). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const running = this.procs.filter((p) => p.running);
      if (running.length > 0) {
        this.out.line(`>>> Stopping ${running.length} node(s)...`, "info");
      }
      const codes = await Promise.all(running.map((p) => p.stop()));
      const bad = running.filter((_, i) => codes[i] !== 0);
      for (const p of bad) {
        this.out.line(`[WARNING] Node ${p.node.addr} exited with code ${p.exitCode}`, "warn");
      }
      if (running.length > 0) this.out.line("[OK] All nodes stopped.", "ok");
    })();
    return this.stopping;
  }
}

/** Refuse to start when a node's client or bus port is taken (another cluster still running?). */
function busyPorts(nodes: readonly LocalNode[]): string[] {
  const busy: string[] = [];
  for (const n of nodes) {
    if (!portFree(n.port)) busy.push(String(n.port));
    if (n.tlsPort !== null && !portFree(n.tlsPort)) busy.push(`${n.tlsPort} (TLS of ${n.port})`);
    if (!portFree(n.busPort)) busy.push(`${n.busPort} (bus of ${n.port})`);
  }
  return busy;
}

export async function startMain(argv: readonly string[], out: Out = stdoutOut()): Promise<number> {
  let opts: StartOptions;
  try {
    opts = parseStartOptions(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${START_USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (opts.help) {
    out.line(START_USAGE);
    return EXIT_OK;
  }
  const nodes = planNodes(opts, Deno.cwd());
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  const busy = busyPorts(nodes);
  if (opts.inspectPort !== null && !portFree(DEFAULT_INSPECT_PORT)) {
    busy.push(`${DEFAULT_INSPECT_PORT} (XState inspector relay)`);
  }
  if (busy.length > 0) {
    out.line(
      `[ERR] Port(s) in use: ${busy.join(", ")}. Is a cluster already running? Stop it ` +
        `(Ctrl-C in its terminal), or pick other ports with --port.`,
      "err",
    );
    return EXIT_FAIL;
  }
  const known = nodes.map((n) => knownNodesInConf(readTextOrNull(n.confPath)));
  const mode = startMode(known);
  if (mode === "restart") {
    const size = Math.max(...known);
    const fresh = nodes.filter((_, i) => known[i] <= 1);
    if (fresh.length > 0 || size !== nodes.length) {
      out.line(
        `[ERR] ${opts.dir} holds a cluster of ${size} nodes, but ${nodes.length} were asked for` +
          (fresh.length > 0 ? ` (${fresh.map((n) => n.addr).join(", ")} never joined it)` : "") +
          `. Run with the same --nodes/--port as when it was created, or remove ${opts.dir} ` +
          "to start a new cluster.",
        "err",
      );
      return EXIT_FAIL;
    }
  }
  const cluster = new LocalCluster(opts, nodes, out);
  let dashboard = null as Dashboard | null; // set inside the formation below
  const { promise: signalled, resolve: onSignal } = Promise.withResolvers<string>();
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const h = () => {
      cluster.quitting = true;
      onSignal(sig);
    };
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  try {
    out.line(
      `>>> Starting ${nodes.length} nodes on ${HOST}:${first.port}-${last.port} ` +
        `(data and logs in ${opts.dir}/<port>/)`,
      "info",
    );
    if (first.tlsDir !== null) {
      // A local CA and certificates (kept across restarts), before any node reads them.
      const f = await makeTlsFiles(first.tlsDir);
      out.line(
        `>>> TLS: CA and certificates in ${opts.dir}/${TLS_DIR} (ca.crt, client.crt/key)`,
        "info",
      );
      out.line(
        `    redis-cli --tls --cacert ${f.caCert} --cert ${f.clientCert} --key ${f.clientKey} ` +
          `-c -p ${first.tlsPort} ping`,
      );
    }
    cluster.spawnAll();
    const formed = (async () => {
      await cluster.waitListening();
      if (mode === "create") {
        out.line(
          `>>> Forming a new cluster: ${nodes.length} nodes, ${opts.replicas} replica(s) per master`,
          "info",
        );
        const args = parseArgs(
          [
            ...nodes.map((n) => n.addr),
            "--replicas",
            String(opts.replicas),
            "--yes",
            "--join-timeout",
            String(opts.joinTimeoutMs),
          ],
          createCommand.options,
        );
        const code = await createCommand.run(args, out);
        if (code !== EXIT_OK) throw new Error("the cluster manager could not create the cluster");
        out.line(">>> Waiting for every node to report cluster_state:ok", "info");
      } else {
        out.line(
          `>>> Found an existing cluster in ${opts.dir} (nodes.conf knows ${nodes.length} nodes): ` +
            "bringing it back, not creating a new one",
          "info",
        );
      }
      await waitClusterOk(nodes, out, opts.joinTimeoutMs, () => cluster.stopRequested);
      const view = await clusterNodes(first.port);
      out.line(
        topologyText(view, nodes, first.port, `${opts.dir}/*/${LOG_FILE}`, opts.inspectPort),
        "ok",
      );
      cluster.ready = true;
      // The live dashboard (dashboard/): its own port, or any free one when that is taken.
      if (opts.dashboardPort >= 0) {
        dashboard = await startDashboard({
          seeds: [first.addr],
          port: opts.dashboardPort > 0 && portFree(opts.dashboardPort) ? opts.dashboardPort : 0,
        });
        out.line(`Dashboard: open ${dashboard.url} (slots, nodes, links, timeline, actions)`, "ok");
      }
    })();
    const r = await Promise.race([
      formed.then(() => "formed" as const, (e: Error) => e),
      signalled.then((sig) => sig),
    ]);
    if (r instanceof Error) {
      out.line(`[ERR] ${r.message}`, "err");
      out.line(`Node logs: ${opts.dir}/*/${LOG_FILE}`);
      await cluster.stop();
      return EXIT_FAIL;
    }
    const sig = r === "formed" ? await signalled : r;
    out.line(`\n>>> ${sig} received`, "info");
    await cluster.stop();
    formed.catch(() => {}); // an interrupted formation ends with the nodes
    return EXIT_OK;
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    await dashboard?.close();
    await cluster.stop();
  }
}

if (import.meta.main) {
  Deno.exit(await startMain(Deno.args));
}
