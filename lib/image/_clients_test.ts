import { assertEquals } from "@std/assert";
import { clientOptionsOf } from "./_clients.ts";

Deno.test("clientOptionsOf() keeps the client options and drops every transfer option", () => {
  const log = () => {};
  const options = {
    // Client options.
    username: "u",
    password: "p",
    insecure: true,
    requestTimeoutMs: 5_000,
    log,
    // Transfer options, and the extras of pull and copy: none of them
    // reaches createClient().
    platform: "linux/amd64",
    concurrency: 2,
    referrers: true,
    onProgress: () => {},
    signal: new AbortController().signal,
    timeoutMs: 60_000,
    maxIndexDepth: 3,
    maxManifests: 10,
    maxDescriptors: 100,
    maxTotalManifestBytes: 1024,
    reference: "1",
    tag: "1",
    verifyExisting: false,
    src: { username: "s" },
    dst: { username: "d" },
  };
  assertEquals(clientOptionsOf(options), {
    username: "u",
    password: "p",
    insecure: true,
    requestTimeoutMs: 5_000,
    log,
  });
});
