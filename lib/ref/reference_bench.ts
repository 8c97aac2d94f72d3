import { parseRepoAndRef } from "./reference.ts";

const DIGEST =
  "sha256:fb9f16730ac6316afa4d97caa5130219927bfcecf0b0ce35c01dcb612f449739";

Deno.bench("parseRepoAndRef() Docker Hub short name", {
  group: "parseRepoAndRef",
  baseline: true,
}, () => {
  parseRepoAndRef("mongo");
});

Deno.bench("parseRepoAndRef() host:port, path and tag", {
  group: "parseRepoAndRef",
}, () => {
  parseRepoAndRef("myreg.example.com:5000/busybox:foo");
});

Deno.bench("parseRepoAndRef() scheme and nested path", {
  group: "parseRepoAndRef",
}, () => {
  parseRepoAndRef("https://registry.gitlab.com/group/sub/project:v1.2.3");
});

Deno.bench(
  "parseRepoAndRef() tag and digest",
  { group: "parseRepoAndRef" },
  () => {
    parseRepoAndRef(`quay.io/trentm/foo:1.0@${DIGEST}`);
  },
);

Deno.bench("parseRepoAndRef() refused (upper case)", {
  group: "parseRepoAndRef",
}, () => {
  try {
    parseRepoAndRef("foo/Bar");
  } catch {
    // expected
  }
});
