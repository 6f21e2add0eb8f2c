import assert from "node:assert/strict";
import { confirmFrame, PubSub, pushFrame, type Subscriber, Subscriptions } from "./pubsub.ts";
import { fromLatin1, latin1 } from "../protocol/bytes.ts";
import { keyHashSlot } from "../protocol/slot.ts";

function sub(id: number, proto: 2 | 3 = 2): Subscriber & { got: string[] } {
  const got: string[] = [];
  return {
    id,
    proto,
    subscriptions: null as Subscriptions | null,
    got,
    deliver(frame: Uint8Array) {
      got.push(latin1(frame));
    },
  };
}

const b = fromLatin1;

Deno.test("pushFrame and confirmFrame encode RESP2 arrays and RESP3 pushes", () => {
  assert.equal(
    latin1(pushFrame(2, [b("message"), b("c"), b("")])),
    "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$0\r\n\r\n",
  );
  assert.equal(latin1(pushFrame(3, [b("x")])), ">1\r\n$1\r\nx\r\n");
  assert.equal(
    latin1(confirmFrame(2, "unsubscribe", null, 0)),
    "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
  );
  assert.equal(
    latin1(confirmFrame(3, "unsubscribe", null, 0)),
    ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n",
  );
  assert.equal(
    latin1(confirmFrame(3, "subscribe", b("\u00ff\u0000"), 2)),
    ">3\r\n$9\r\nsubscribe\r\n$2\r\n\u00ff\u0000\r\n:2\r\n",
  );
});

Deno.test("PubSub: channel then pattern subscribers, counts, one frame per subscription", () => {
  const ps = new PubSub();
  const a = sub(1);
  const c = sub(2, 3);
  assert.equal(ps.subscribe(a, "news"), true);
  assert.equal(ps.subscribe(a, "news"), false);
  ps.psubscribe(a, "n*");
  ps.psubscribe(c, "n*");
  ps.psubscribe(c, "*s");
  assert.equal(ps.publish(b("news"), b("hi")), 4);
  assert.deepEqual(a.got, [
    "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
    "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
  ]);
  assert.equal(c.got.length, 2);
  assert.ok(c.got.every((f) => f.startsWith(">4\r\n")));
  assert.equal(ps.publish(b("other"), b("x")), 0);
  assert.equal(a.subscriptions!.count, 2);
  assert.deepEqual(ps.activeChannels(false, null), ["news"]);
  assert.equal(ps.numSub(false, "news"), 1);
  assert.equal(ps.patterns.size, 2);
});

Deno.test("PubSub: the last unsubscribe leaves the context; dropClient forgets everything", () => {
  const ps = new PubSub();
  const a = sub(1);
  ps.subscribe(a, "x");
  ps.ssubscribe(a, "s");
  assert.equal(ps.unsubscribe(a, "x"), true);
  assert.notEqual(a.subscriptions, null, "still holds a shard channel");
  assert.equal(ps.sunsubscribe(a, "s"), true);
  assert.equal(a.subscriptions, null);
  ps.subscribe(a, "x");
  ps.psubscribe(a, "p*");
  ps.ssubscribe(a, "s");
  ps.dropClient(a);
  assert.equal(a.subscriptions, null);
  assert.equal(ps.channels.size + ps.patterns.size + ps.shardChannels.size, 0);
});

Deno.test("PubSub: shard channels of lost slots get sunsubscribe with the remaining count", () => {
  const ps = new PubSub();
  const a = sub(1);
  const c = sub(2, 3);
  ps.ssubscribe(a, "{a}1");
  ps.ssubscribe(a, "{b}1");
  ps.ssubscribe(c, "{a}1");
  assert.equal(ps.publishShard(b("{a}1"), b("m")), 2);
  a.got.length = 0;
  c.got.length = 0;
  ps.removeChannelsInSlots(new Set([keyHashSlot(b("{a}"))]));
  assert.deepEqual(a.got, ["*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{a}1\r\n:1\r\n"]);
  assert.deepEqual(c.got, [">3\r\n$12\r\nsunsubscribe\r\n$4\r\n{a}1\r\n:0\r\n"]);
  assert.equal(c.subscriptions, null);
  assert.deepEqual(ps.activeChannels(true, null), ["{b}1"]);
});
