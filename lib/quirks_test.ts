import assert from "node:assert/strict";
import { chunkSizeFor, quirksFor } from "./quirks.ts";

Deno.test("quirksFor() finds registries by name or host suffix", () => {
  assert.equal(quirksFor("docker.io").apiHost, "registry-1.docker.io");
  assert.equal(
    quirksFor("123456789012.dkr.ecr.eu-west-1.amazonaws.com").maxPageSize,
    1000,
  );
  assert.equal(quirksFor("GHCR.IO").maxChunkSize, 4 * 1024 * 1024);
  assert.deepEqual(quirksFor("127.0.0.1:5000"), {});
});

Deno.test("chunkSizeFor() caps chunks where a registry limits them", () => {
  assert.equal(chunkSizeFor("ghcr.io", 16 << 20), 4 << 20);
  assert.equal(chunkSizeFor("ghcr.io", 1 << 20), 1 << 20);
  assert.equal(chunkSizeFor("ghcr.io", undefined), undefined);
  assert.equal(chunkSizeFor("quay.io", 16 << 20), 16 << 20);
});
