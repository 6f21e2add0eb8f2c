import assert from "node:assert/strict";
import { globMatch } from "./glob.ts";

const cases: [string, string, boolean][] = [
  ["*", "", true],
  ["*", "anything", true],
  ["", "", true],
  ["", "a", false],
  ["a", "", false],
  ["h?llo", "hello", true],
  ["h?llo", "hllo", false],
  ["h*llo", "hllo", true],
  ["h*llo", "heeeello", true],
  ["h[ae]llo", "hello", true],
  ["h[ae]llo", "hallo", true],
  ["h[ae]llo", "hillo", false],
  ["h[^e]llo", "hallo", true],
  ["h[^e]llo", "hello", false],
  ["h[a-b]llo", "hbllo", true],
  ["h[a-b]llo", "hcllo", false],
  ["h[b-a]llo", "hallo", true], // reversed range
  ["h\\*llo", "h*llo", true],
  ["h\\*llo", "hello", false],
  ["a\\", "a\\", true], // trailing backslash is literal
  ["[\\]]", "]", true],
  ["[a-]", "-", false], // a..] (swapped) excludes "-"
  ["[a-]", "a", true],
  ["[abc", "a", true], // unterminated class
  ["[abc", "b", true],
  ["[abc", "d", false],
  ["[", "[", false],
  ["a*", "a", true],
  ["a**", "a", true],
  ["*a", "ba", true],
  ["*a*", "xyz", false],
  ["a*b*c", "aXXbYYc", true],
  ["a*b*c", "aXXbYY", false],
  ["?", "", false],
  ["*?", "", false],
  ["foo*bar", "foobar", true],
  ["*foo*", "barfoobaz", true],
  ["user:*", "user:1000", true],
  ["user:*", "usr:1000", false],
  ["a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(60), false],
  ["\x00*", "\x00abc", true], // binary
  ["a\r\n?", "a\r\nz", true],
  ["[\xf0-\xff]", "\xf5", true], // high bytes (signed char ranges still ordered)
  ["[\x01-\xff]", "a", false], // signed: 0x01..-1 is swapped to -1..1, so 'a' (97) is out
];

Deno.test("globMatch: stringmatchlen cases", () => {
  for (const [p, s, want] of cases) {
    assert.equal(globMatch(p, s), want, `pattern ${JSON.stringify(p)} vs ${JSON.stringify(s)}`);
  }
});

Deno.test("globMatch: nocase folds ASCII letters only", () => {
  assert.equal(globMatch("HeLLo", "hello", true), true);
  assert.equal(globMatch("HeLLo", "hello", false), false);
  assert.equal(globMatch("[A-C]x", "bX", true), true);
  assert.equal(globMatch("[a-c]x", "BX", true), true);
  assert.equal(globMatch("max*", "MAXMEMORY", true), true);
  assert.equal(globMatch("\xc4", "\xe4", true), false);
});

Deno.test("globMatch: pathological patterns finish quickly", () => {
  const start = performance.now();
  const s = "a".repeat(5000);
  assert.equal(globMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", s), false);
  assert.equal(globMatch("*".repeat(3000) + "b", s), false);
  assert.equal(globMatch("*?".repeat(50000), "a".repeat(50000)), false); // nesting limit
  assert.ok(performance.now() - start < 2000);
});

Deno.test("globMatch agrees with a real redis-server's KEYS", async () => {
  const { haveRedisServer, spawnRedis, RespClient } = await import("../tests/harness.ts");
  if (!haveRedisServer()) return;
  const redis = await spawnRedis();
  const c = await RespClient.connect(redis.port);
  const bin = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
  try {
    const extra: [string, string][] = [
      ["[a-]", "]"],
      ["[]]", "]"],
      ["[]a]", "a"],
      ["[^]", "^"],
      ["[^", "x"],
      ["\\", "\\"],
      ["[\\", "\\"],
      ["a[", "a["],
      ["*[", "x["],
      ["[\x80-\x90]", "\x85"],
      ["[a-\xff]", "b"],
      ["*\\", "ab\\"],
      ["?*?", "ab"],
      ["[!a]", "b"],
      ["**a", "a"],
      ["a?*", "a"],
    ];
    for (const [p, s] of [...cases.map(([p, s]) => [p, s] as [string, string]), ...extra]) {
      if (s === "") continue; // redis keys cannot be tested empty this way; covered above
      await c.call("FLUSHALL");
      await c.call("SET", bin(s), "1");
      const r = await c.call("KEYS", bin(p));
      const want = Array.isArray(r) && r.length === 1;
      assert.equal(globMatch(p, s), want, `pattern ${JSON.stringify(p)} vs ${JSON.stringify(s)}`);
    }
  } finally {
    c.close();
    await redis.stop();
  }
});
