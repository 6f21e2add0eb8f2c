import assert from "node:assert/strict";
import { bindHosts, mappedConnAllowed, normalizeIp, unmapIpv4 } from "./ip.ts";

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

Deno.test("ip: unmapIpv4 turns ::ffff:a.b.c.d back into a.b.c.d", () => {
  assert.equal(unmapIpv4("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(unmapIpv4("::FFFF:10.1.2.3"), "10.1.2.3");
  assert.equal(unmapIpv4("::1"), "::1");
  assert.equal(unmapIpv4("::ffff:7f00:1"), "::ffff:7f00:1");
  assert.equal(unmapIpv4("127.0.0.1"), "127.0.0.1");
  assert.equal(unmapIpv4("fd00::2"), "fd00::2");
});

Deno.test("ip: bindHosts as listenToPort, with :: serving IPv4 too", () => {
  const all = () => true;
  const noV6 = (h: string) => !h.includes(":");
  assert.deepEqual(bindHosts("* -::*", all), ["::"]);
  assert.deepEqual(bindHosts("* -::*", noV6), ["0.0.0.0"]);
  assert.deepEqual(bindHosts("", all), ["::"]);
  assert.deepEqual(bindHosts("*", all), ["0.0.0.0"]);
  assert.deepEqual(bindHosts("::*", all), ["::"]);
  assert.deepEqual(bindHosts("127.0.0.1 ::1", all), ["127.0.0.1", "::1"]);
  assert.deepEqual(bindHosts("127.0.0.1 -::1", noV6), ["127.0.0.1"]);
  assert.deepEqual(bindHosts("0.0.0.0 ::", all), ["::"]);
  assert.deepEqual(bindHosts("127.0.0.1 127.0.0.1", all), ["127.0.0.1"]);
  assert.deepEqual(bindHosts("-10.9.9.9 127.0.0.1", (h) => h !== "10.9.9.9"), ["127.0.0.1"]);
});

Deno.test("ip: mappedConnAllowed as IPV6_V6ONLY listeners would", () => {
  assert.equal(mappedConnAllowed("* -::*", "::ffff:192.0.2.2"), true);
  assert.equal(mappedConnAllowed("127.0.0.1 -::*", "::ffff:127.0.0.1"), true);
  assert.equal(mappedConnAllowed("127.0.0.1 -::*", "::ffff:192.0.2.2"), false);
  assert.equal(mappedConnAllowed("::*", "::ffff:127.0.0.1"), false);
  assert.equal(mappedConnAllowed("::*", "::1"), true);
  assert.equal(mappedConnAllowed("127.0.0.1", "127.0.0.1"), true);
  assert.equal(mappedConnAllowed("", "::ffff:10.0.0.1"), true);
});
