import assert from "node:assert/strict";
import { normalizeIp } from "./ip.ts";

Deno.test("ip: IPv4 as inet_pton accepts it", () => {
  assert.equal(normalizeIp("127.0.0.1"), "127.0.0.1");
  assert.equal(normalizeIp("255.255.255.255"), "255.255.255.255");
  for (
    const bad of [
      "",
      "nonsense",
      "localhost",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.-4",
      " 1.2.3.4",
    ]
  ) {
    assert.equal(normalizeIp(bad), null, bad);
  }
});

Deno.test("ip: IPv6 normalised like inet_ntop", () => {
  assert.equal(normalizeIp("::1"), "::1");
  assert.equal(normalizeIp("::"), "::");
  assert.equal(normalizeIp("0:0:0:0:0:0:0:1"), "::1");
  assert.equal(normalizeIp("FE80:0000:0000:0000:0202:B3FF:FE1E:8329"), "fe80::202:b3ff:fe1e:8329");
  assert.equal(normalizeIp("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assert.equal(normalizeIp("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  assert.equal(normalizeIp("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
  for (const bad of [":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1:2:3:4:5:6:7"]) {
    assert.equal(normalizeIp(bad), null, bad);
  }
});
