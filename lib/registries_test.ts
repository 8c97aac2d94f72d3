import { assertEquals } from "@std/assert";
import { chunkSizeFor, quirksFor } from "./registries.ts";

Deno.test("quirksFor() finds registries by name or host suffix", () => {
  assertEquals(quirksFor("docker.io").apiHost, "registry-1.docker.io");
  assertEquals(
    quirksFor("123456789012.dkr.ecr.eu-west-1.amazonaws.com").maxPageSize,
    1000,
  );
  assertEquals(quirksFor("GHCR.IO").maxChunkSize, 4 * 1024 * 1024);
  assertEquals(quirksFor("127.0.0.1:5000"), {});
});

Deno.test("chunkSizeFor() caps chunks where a registry limits them", () => {
  assertEquals(chunkSizeFor("ghcr.io", 16 << 20), 4 << 20);
  assertEquals(chunkSizeFor("ghcr.io", 1 << 20), 1 << 20);
  assertEquals(chunkSizeFor("ghcr.io", undefined), undefined);
  assertEquals(chunkSizeFor("quay.io", 16 << 20), 16 << 20);
});
