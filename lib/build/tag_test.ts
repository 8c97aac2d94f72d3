// tagImage(): tags point at the manifest named, no blob is pushed, and bad
// tags are refused before any is written. (Against the real registry, the
// CLI test counts one manifest PUT per tag and no blob request.)

import { assertEquals, assertRejects } from "@std/assert";
import { OciLayout } from "../layout/oci_layout.ts";
import { tagImage } from "./tag.ts";
import { CountingStore, seedImage } from "./testdata/seed.ts";

Deno.test("tagImage() adds tags in an OCI layout, by tag or digest, moving nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tag-test-" });
  try {
    const layout = await OciLayout.open(dir, { create: true });
    const image = await seedImage(layout, { tag: "1.2.3" });
    const store = new CountingStore(layout);
    const result = await tagImage(store, ["1.2", "1"], { reference: "1.2.3" });
    assertEquals(result.descriptor, {
      mediaType: image.descriptor.mediaType,
      digest: image.descriptor.digest,
      size: image.descriptor.size,
    });
    await tagImage(store, ["latest"], { reference: image.descriptor.digest });
    assertEquals((await layout.listTags()).sort(), [
      "1",
      "1.2",
      "1.2.3",
      "latest",
    ]);
    for (const t of ["1", "1.2", "latest"]) {
      assertEquals((await layout.resolve(t)).digest, image.descriptor.digest);
    }
    assertEquals(store.pushes, []);
    assertEquals(store.pushedBlobs, []);
    await assertRejects(
      () => tagImage(store, ["ok", "-bad"], { reference: "1" }),
      TypeError,
      'Invalid tag "-bad"',
    );
    await assertRejects(() => tagImage(store, []), TypeError, "no tag given");
    assertEquals((await layout.listTags()).includes("ok"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
