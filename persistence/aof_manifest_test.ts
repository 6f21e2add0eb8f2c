import assert from "node:assert/strict";
import {
  AofManifestError,
  emptyManifest,
  parseManifest,
  serializeManifest,
  withNewBase,
  withNewIncr,
} from "./aof_manifest.ts";

// As redis-server 7.0.15 writes it after start with appendonly yes.
const REDIS_FRESH =
  "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n";

Deno.test("aof manifest: Redis's text parses and prints back byte for byte", () => {
  const m = parseManifest(REDIS_FRESH);
  assert.deepEqual(m.base, { name: "appendonly.aof.1.base.rdb", seq: 1, type: "b" });
  assert.deepEqual(m.incr, [{ name: "appendonly.aof.1.incr.aof", seq: 1, type: "i" }]);
  assert.equal(serializeManifest(m), REDIS_FRESH);
  const quoted = parseManifest('# a comment\nfile "my file.aof" seq 3 type i\n');
  assert.equal(quoted.incr[0].name, "my file.aof");
  assert.equal(serializeManifest(quoted), 'file "my file.aof" seq 3 type i\n');
});

Deno.test("aof manifest: malformed files get Redis's reasons", () => {
  const bad = (text: string, reason: string) =>
    assert.throws(
      () => parseManifest(text),
      (e) => e instanceof AofManifestError && e.message === reason,
    );
  bad("file a seq 1\n", "Invalid AOF manifest file format");
  bad("file a seq x type i\n", "Invalid AOF manifest file format");
  bad("file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information");
  bad("file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number");
  bad("file a seq 1 type z\n", "Unknown AOF file type");
  bad("# only a comment\n", "Found an empty AOF manifest");
  bad(`file ${"x".repeat(1100)} seq 1 type i\n`, "The AOF manifest file contains too long line");
});

Deno.test("aof manifest: a rewrite opens incr n+1, then the new base turns the old files into history", () => {
  const start = withNewIncr(emptyManifest(), "appendonly.aof");
  const fresh = withNewBase(start.manifest, "appendonly.aof", true, start.file).manifest;
  assert.equal(serializeManifest(fresh), REDIS_FRESH);
  const during = withNewIncr(fresh, "appendonly.aof");
  assert.equal(during.file.name, "appendonly.aof.2.incr.aof");
  const done = withNewBase(during.manifest, "appendonly.aof", true, during.file).manifest;
  assert.equal(
    serializeManifest(done),
    "file appendonly.aof.2.base.rdb seq 2 type b\n" +
      "file appendonly.aof.1.base.rdb seq 1 type h\n" +
      "file appendonly.aof.1.incr.aof seq 1 type h\n" +
      "file appendonly.aof.2.incr.aof seq 2 type i\n",
  );
});
