import assert from "node:assert/strict";
import {
  parseTlsProtocols,
  readTlsSettings,
  tlsNoEffectWarnings,
  tlsSettingsErrors,
  tlsWanted,
} from "./tls_settings.ts";

const DEFAULTS: Record<string, string> = {
  "tls-port": "0",
  "tls-session-caching": "yes",
  "tls-session-cache-size": "20480",
  "tls-session-cache-timeout": "300",
  "tls-auth-clients": "yes",
  "tls-cluster": "no",
  "tls-replication": "no",
  "tls-prefer-server-ciphers": "no",
};
const settings = (over: Record<string, string> = {}) =>
  readTlsSettings((n) => over[n] ?? DEFAULTS[n] ?? "");

Deno.test("tls-protocols parses as tls.c parseProtocolsConfig, within what rustls speaks", () => {
  assert.deepEqual(parseTlsProtocols(""), { min: "TLSv1.2", max: "TLSv1.3", unsupported: [] });
  assert.deepEqual(parseTlsProtocols("tlsv1.2"), {
    min: "TLSv1.2",
    max: "TLSv1.2",
    unsupported: [],
  });
  assert.deepEqual(parseTlsProtocols("TLSv1.3"), {
    min: "TLSv1.3",
    max: "TLSv1.3",
    unsupported: [],
  });
  assert.deepEqual(parseTlsProtocols("TLSv1 TLSv1.2"), {
    min: "TLSv1.2",
    max: "TLSv1.2",
    unsupported: ["TLSv1"],
  });
  // One space separates (sdssplitlen): two make an empty, invalid, token.
  assert.ok("error" in parseTlsProtocols("TLSv1.2  TLSv1.3"));
  assert.deepEqual(parseTlsProtocols("TLSv1.4"), {
    error: [
      "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
    ],
  });
  assert.ok("error" in parseTlsProtocols("TLSv1 TLSv1.1"));
});

Deno.test("tlsConfigure's checks, and the directives logged as having no effect", () => {
  assert.equal(tlsWanted(settings()), false);
  assert.equal(tlsWanted(settings({ "tls-cluster": "yes" })), true);
  assert.deepEqual(tlsSettingsErrors(settings()), ["No tls-cert-file configured!"]);
  assert.deepEqual(tlsSettingsErrors(settings({ "tls-cert-file": "a" })), [
    "No tls-key-file configured!",
  ]);
  const noCa = settings({ "tls-cert-file": "a", "tls-key-file": "b" });
  assert.match(tlsSettingsErrors(noCa)[0], /^Either tls-ca-cert-file or tls-ca-cert-dir/);
  assert.deepEqual(
    tlsSettingsErrors(
      settings({ "tls-cert-file": "a", "tls-key-file": "b", "tls-auth-clients": "no" }),
    ),
    [],
  );
  assert.deepEqual(tlsNoEffectWarnings(settings()), []);
  const w = tlsNoEffectWarnings(settings({
    "tls-ciphers": "HIGH",
    "tls-ciphersuites": "TLS_AES_128_GCM_SHA256",
    "tls-prefer-server-ciphers": "yes",
    "tls-dh-params-file": "dh.pem",
    "tls-session-cache-size": "10",
    "tls-protocols": "TLSv1.1 TLSv1.2",
  }));
  assert.equal(w.length, 6);
  for (const name of ["tls-ciphers", "tls-ciphersuites", "tls-prefer-server-ciphers"]) {
    assert.ok(w.some((l) => l.startsWith(name)), name);
  }
});
