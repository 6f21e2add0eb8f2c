import assert from "node:assert/strict";
import { DEFAULT_RUN, runSeed } from "./run.ts";

Deno.test("sim: seeded runs with crashes, power losses, partitions and loss keep every safety property", async () => {
  let votes = 0;
  let promotions = 0;
  // 50 seeds here (about 10 s); `deno task sim --seeds 1000` is the long sweep.
  for (let seed = 1; seed <= 50; seed++) {
    const r = await runSeed(seed, DEFAULT_RUN);
    assert.deepEqual(r.violations, [], `seed ${seed}: deno task sim --seed ${seed}`);
    assert.ok(r.converged, `seed ${seed} did not converge: deno task sim --seed ${seed}`);
    votes += r.counts.votes;
    promotions += r.counts.promotions;
  }
  // The runs did exercise elections (else the checks above prove little).
  assert.ok(votes > 100 && promotions > 15, `${votes} votes, ${promotions} promotions`);
});

Deno.test("sim: the same seed replays the same run", async () => {
  const a = await runSeed(3, DEFAULT_RUN);
  const b = await runSeed(3, DEFAULT_RUN);
  assert.deepEqual(a.faults, b.faults);
  assert.deepEqual(a.counts, b.counts);
  assert.equal(a.simulatedMs, b.simulatedMs);
  assert.equal(a.trace, b.trace);
  const c = await runSeed(4, DEFAULT_RUN);
  assert.notEqual(c.trace, a.trace, "another seed, another run");
});

Deno.test("sim: a disk that lies about fsync loses votes, and the monitor says so", async () => {
  // Every vote is followed by a crash; half of them are power losses, which a lying disk does
  // not survive: the restarted voter has forgotten its vote.
  const opts = { ...DEFAULT_RUN, world: { crashAfterVote: 1, lyingDisks: true } };
  let caught = 0;
  for (let seed = 1; seed <= 6 && caught === 0; seed++) {
    const r = await runSeed(seed, opts);
    caught += r.violations.filter((v) => /lastVoteEpoch .* < its vote|voted twice/.test(v.what))
      .length;
  }
  assert.ok(caught > 0, "no lost vote detected");
});
