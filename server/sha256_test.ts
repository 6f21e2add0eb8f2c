import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256, toHex } from "./sha256.ts";
import { sha1 } from "../keyspace/digest.ts";

Deno.test("sha256: the FIPS 180-4 examples", () => {
  const enc = new TextEncoder();
  assertEquals(
    toHex(sha256(new Uint8Array(0))),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    toHex(sha256(enc.encode("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    toHex(sha256(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256 and sha1 (the script hashes) agree with node:crypto at every padding length", () => {
  for (let n = 0; n < 300; n++) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = (i * 131 + n * 7) & 0xff;
    assertEquals(toHex(sha256(data)), createHash("sha256").update(data).digest("hex"), `len ${n}`);
    assertEquals(toHex(sha1(data)), createHash("sha1").update(data).digest("hex"), `len ${n}`);
  }
});
