import assert from "node:assert/strict";
import { UsageError } from "../manager/args.ts";
import { knownNodesInConf, nodeArgs, parseStartOptions, planNodes, startMode } from "./options.ts";

Deno.test("start options: defaults are six nodes from 7000, one replica each", () => {
  const o = parseStartOptions([]);
  assert.equal(o.nodes, 6);
  assert.equal(o.replicas, 1);
  assert.equal(o.basePort, 7000);
  assert.equal(o.dir, ".data/cluster");
  const nodes = planNodes(o, "/home/u/proj");
  assert.deepEqual(nodes.map((n) => n.port), [7000, 7001, 7002, 7003, 7004, 7005]);
  assert.equal(nodes[0].busPort, 17000);
  assert.equal(nodes[0].dir, "/home/u/proj/.data/cluster/7000");
  assert.equal(nodes[0].shownLogPath, ".data/cluster/7000/node.log");
  assert.equal(nodes[5].confPath, "/home/u/proj/.data/cluster/7005/nodes.conf");
});

Deno.test("start options: flags, absolute dir, node command line", () => {
  const o = parseStartOptions([
    "--nodes",
    "9",
    "--replicas",
    "2",
    "--port",
    "12000",
    "--node-timeout",
    "2000",
    "--dir",
    "/tmp/x/",
    "--loglevel",
    "verbose",
  ]);
  const [n] = planNodes(o, "/ignored");
  assert.equal(n.dir, "/tmp/x/12000");
  const args = nodeArgs(n, o);
  const get = (k: string) => args[args.indexOf(k) + 1];
  assert.equal(get("--port"), "12000");
  assert.equal(get("--cluster-enabled"), "yes");
  assert.equal(get("--cluster-node-timeout"), "2000");
  assert.equal(get("--logfile"), "/tmp/x/12000/node.log");
  assert.equal(get("--loglevel"), "verbose");
  assert.equal(get("--dir"), "/tmp/x/12000");
});

Deno.test("start options: refuse too few masters, ports without room for the bus, bad values", () => {
  assert.throws(() => parseStartOptions(["--nodes", "5"]), /give 2 master\(s\)/);
  assert.throws(
    () => parseStartOptions(["--nodes", "3", "--replicas", "0", "--port", "55534"]),
    /no room for their bus ports/,
  );
  parseStartOptions(["--nodes", "3", "--replicas", "0", "--port", "55533"]);
  assert.throws(() => parseStartOptions(["--loglevel", "loud"]), UsageError);
  assert.throws(() => parseStartOptions(["--port", "x"]), /must be an integer/);
  assert.throws(() => parseStartOptions(["extra"]), /Unexpected argument/);
});

Deno.test("start mode: create unless some nodes.conf knows other nodes", () => {
  const fresh = "abc :0@0 myself,master - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n";
  assert.equal(knownNodesInConf(fresh), 1);
  assert.equal(knownNodesInConf(null), 0);
  assert.equal(
    knownNodesInConf("a x myself,master - 0 0 1 connected 0-5\nb y master - 0 0 2 connected\n"),
    2,
  );
  assert.equal(startMode([0, 0, 0]), "create");
  assert.equal(startMode([1, 1, 0]), "create");
  assert.equal(startMode([6, 6, 1]), "restart");
});
