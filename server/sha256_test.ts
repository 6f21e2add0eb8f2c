import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { createHash } from "node:crypto";
import { Sha256, sha256, toHex } from "./sha256.ts";
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

Deno.test("Sha256: fed in pieces at any split, and forked by copy, it hashes the whole", () => {
  const data = new Uint8Array(300);
  for (let i = 0; i < data.length; i++) data[i] = (i * 29 + 3) & 0xff;
  for (let n = 0; n <= 200; n += 7) {
    const whole = createHash("sha256").update(data.subarray(0, n)).digest("hex");
    for (let a = 0; a <= n; a += 5) {
      for (const b of [a, Math.min(n, a + 1), Math.min(n, a + 64), n]) {
        const h = new Sha256().update(data.subarray(0, a)).update(data.subarray(a, b));
        const fork = h.copy();
        assertEquals(toHex(h.update(data.subarray(b, n)).digest()), whole, `${n}: ${a}/${b}`);
        // The fork goes on from the split alone: the original's later updates are not in it.
        assertEquals(
          toHex(fork.update(data.subarray(b, n)).digest()),
          whole,
          `fork ${n}: ${a}/${b}`,
        );
      }
    }
  }
  const done = new Sha256();
  done.digest();
  throws(() => done.update(data));
  throws(() => done.digest());
  throws(() => done.copy());
});
