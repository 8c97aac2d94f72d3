import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { digestOf } from "../ref/digest.ts";
import {
  ContentNotFoundError,
  DigestMismatchError,
  StoreError,
} from "../errors.ts";
import { type Descriptor, MEDIA_TYPE } from "../ref/media_types.ts";
import { isVerified } from "../content/verify.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import { DockerArchive } from "./docker_archive.ts";
import { OciArchive } from "./oci_archive.ts";
import {
  copyInto,
  graphDigests,
  hostile,
  hostileBytes,
  makeImage,
  makeIndex,
  namesIn,
  rawTar,
  skopeo,
  withTempDir,
} from "./testdata/fixtures.ts";
import { tarOf } from "../../test_support/tar.ts";

const enc = new TextEncoder();

async function gunzipIfNeeded(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The uncompressed content of each layer of an image in a layout skopeo wrote. */
async function layerContents(dir: string, tag: string): Promise<Uint8Array[]> {
  const layout = await OciLayout.open(dir);
  const { manifest } = await layout.fetchManifest(tag);
  assert("layers" in manifest);
  const out = [];
  for (const layer of manifest.layers) {
    out.push(await gunzipIfNeeded(await layout.readBlobBytes(layer.digest)));
  }
  return out;
}

async function entryOf(tarPath: string, name: string): Promise<string> {
  const out = await new Deno.Command("tar", {
    args: ["-xOf", tarPath, name],
    stdout: "piped",
  }).output();
  assert(out.success, `tar -xOf ${name}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("DockerArchive: an image pushed into it is what skopeo copies out", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const img = await makeImage(layout, "1", {
      layers: [{ size: 3000 }, { size: 70_000, gzip: true }],
    });
    const want = await graphDigests(layout, "1");
    const archive = await DockerArchive.open(`${dir}/d.tar`, {
      create: true,
      reference: "app:1",
    });
    await copyInto(layout, archive, "1", "app:1");
    await archive.close();
    assertEquals(await namesIn(dir), ["d.tar", "src"]);

    // docker 25 layout: manifest.json names the blobs, as stored.
    assertEquals(JSON.parse(await entryOf(`${dir}/d.tar`, "manifest.json")), [{
      Config: `blobs/sha256/${
        JSON.parse(
          new TextDecoder().decode(
            await layout.readBlobBytes(img.descriptor.digest),
          ),
        ).config.digest.slice(7)
      }`,
      RepoTags: ["app:1"],
      Layers: img.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    }]);
    assertEquals(
      JSON.parse(await entryOf(`${dir}/d.tar`, "repositories")),
      { app: { "1": img.layers[1].digest.slice(7) } },
    );

    // skopeo reads it, by reference and alone, plain and gzip layers alike.
    await skopeo("inspect", "--raw", `docker-archive:${dir}/d.tar:app:1`);
    await skopeo("copy", `docker-archive:${dir}/d.tar`, `oci:${dir}/out:1`);
    assertEquals(await layerContents(`${dir}/out`, "1"), img.tars);
    // The OCI layout inside keeps the manifest's exact bytes.
    const raw = await skopeo("inspect", "--raw", `oci-archive:${dir}/d.tar:1`);
    assertEquals(digestOf(raw), img.descriptor.digest);

    const again = await DockerArchive.open(`${dir}/d.tar`);
    assertEquals(await again.listTags(), ["app:1"]);
    for (const ref of ["app:1", "docker.io/library/app:1", "@0", undefined]) {
      assertEquals((await again.resolve(ref)).digest, img.descriptor.digest);
    }
    assertEquals(await graphDigests(again, "app:1"), want);
  });
});

Deno.test("DockerArchive reads what skopeo writes, and adds to it", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const img = await makeImage(layout, "1", {
      layers: [{ size: 2000 }, { size: 6000, gzip: true }],
    });
    await skopeo(
      "copy",
      `oci:${dir}/src:1`,
      `docker-archive:${dir}/s.tar:app:1`,
    );

    const archive = await DockerArchive.open(`${dir}/s.tar`);
    assertEquals(await archive.listTags(), ["app:1"]);
    const { descriptor, manifest, bytes } = await archive.fetchManifest();
    for (
      const ref of ["app:1", "docker.io/library/app:1", "@0", descriptor.digest]
    ) {
      assertEquals(await archive.resolve(ref), descriptor);
    }
    assertEquals(descriptor.mediaType, MEDIA_TYPE.DOCKER_MANIFEST);
    assertEquals(digestOf(bytes), descriptor.digest);
    assert("layers" in manifest);
    assertEquals(manifest.config.mediaType, MEDIA_TYPE.DOCKER_CONFIG);
    // skopeo stores layers uncompressed: each digest is its file's.
    assertEquals(
      manifest.layers.map((l) => [l.mediaType, l.digest]),
      img.tars.map((
        t,
      ) => ["application/vnd.docker.image.rootfs.diff.tar", digestOf(t)]),
    );
    for (const d of [descriptor, manifest.config, ...manifest.layers]) {
      const stream = await archive.fetch(d);
      assert(isVerified(stream, d.digest));
      assertEquals(digestOf(await new Response(stream).bytes()), d.digest);
    }
    await assertRejects(() => archive.resolve("app:2"), ContentNotFoundError);
    await assertRejects(() => archive.resolve("@1"), ContentNotFoundError);
    assertEquals(await namesIn(dir), ["s.tar", "src"]);

    // Adding an image rewrites it in docker 25 style; both stay readable,
    // the first under the same (made-up) manifest digest.
    const edit = await DockerArchive.open(`${dir}/s.tar`, {
      reference: "app:1",
    });
    const other = await makeImage(layout, "2");
    await copyInto(layout, edit, "2", "2");
    await edit.close();
    const after = await DockerArchive.open(`${dir}/s.tar`);
    assertEquals(await after.listTags(), ["app:1", "app:2"]);
    assertEquals((await after.resolve("app:1")).digest, descriptor.digest);
    assertEquals(
      (await after.resolve("app:2")).digest,
      other.descriptor.digest,
    );
    await graphDigests(after, "app:1");
    await skopeo(
      "copy",
      `docker-archive:${dir}/s.tar:app:1`,
      `oci:${dir}/o1:1`,
    );
    assertEquals(await layerContents(`${dir}/o1`, "1"), img.tars);
    await skopeo(
      "copy",
      `docker-archive:${dir}/s.tar:app:2`,
      `oci:${dir}/o2:1`,
    );
    assertEquals(await layerContents(`${dir}/o2`, "1"), other.tars);
  });
});

Deno.test("DockerArchive reads a legacy archive: gzip layer, layer.tar symlink", async () => {
  await withTempDir(async (dir) => {
    const tar = await tarOf("hello.txt", enc.encode("hello\n"));
    const gz = new Uint8Array(
      await new Response(
        new Blob([tar]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    const plain = await tarOf("second.txt", enc.encode("second\n"));
    const config = enc.encode(JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [digestOf(tar), digestOf(plain)] },
    }));
    const hex = digestOf(config).slice(7);
    await Deno.writeFile(
      `${dir}/legacy.tar`,
      rawTar([
        {
          name: "manifest.json",
          content: JSON.stringify([{
            Config: `${hex}.json`,
            RepoTags: ["registry.example:5000/team/app:v1"],
            Layers: ["aaa/layer.tar", "bbb/layer.tar"],
          }]),
        },
        { name: `${hex}.json`, content: config },
        { name: "aaa/", type: "5" },
        { name: "aaa/layer.tar", type: "2", linkname: "../layer.tar.gz" },
        { name: "layer.tar.gz", content: gz },
        { name: "bbb/layer.tar", content: plain },
      ]),
    );
    const archive = await DockerArchive.open(`${dir}/legacy.tar`);
    assertEquals(await archive.listTags(), [
      "registry.example:5000/team/app:v1",
    ]);
    const { manifest } = await archive.fetchManifest(
      "registry.example:5000/team/app:v1",
    );
    assert("layers" in manifest);
    assertEquals(manifest.config, {
      mediaType: MEDIA_TYPE.DOCKER_CONFIG,
      size: config.byteLength,
      digest: digestOf(config),
    });
    assertEquals(manifest.layers, [
      {
        mediaType: MEDIA_TYPE.DOCKER_LAYER,
        size: gz.byteLength,
        digest: digestOf(gz),
      },
      {
        mediaType: "application/vnd.docker.image.rootfs.diff.tar",
        size: plain.byteLength,
        digest: digestOf(plain),
      },
    ]);
    assertEquals(
      await new Response(await archive.fetch(manifest.layers[0])).bytes(),
      gz,
    );
    // skopeo reads the same archive (and follows the in-archive symlink).
    await skopeo(
      "copy",
      `docker-archive:${dir}/legacy.tar`,
      `oci:${dir}/out:1`,
    );
    assertEquals(await layerContents(`${dir}/out`, "1"), [tar, plain]);
  });
});

Deno.test("DockerArchive refuses links and names in manifest.json that leave it", async (t) => {
  await withTempDir(async (dir) => {
    const config = enc.encode("{}");
    const hex = digestOf(config).slice(7);
    const cases: [string, Parameters<typeof rawTar>[0], string][] = [
      ["a layer symlink to /etc/passwd", [
        { name: "l/layer.tar", type: "2", linkname: "/etc/passwd" },
      ], "not followed"],
      ["a layer symlink that climbs out", [
        { name: "l/layer.tar", type: "2", linkname: "../../x" },
      ], "not followed"],
      ["a layer named ../x in manifest.json", [], "leaves the archive's root"],
    ];
    for (const [name, extra, message] of cases) {
      await t.step(name, async () => {
        const layerPath = extra.length ? "l/layer.tar" : "../x";
        await Deno.writeFile(
          `${dir}/h.tar`,
          rawTar([
            {
              name: "manifest.json",
              content: JSON.stringify([{
                Config: `${hex}.json`,
                RepoTags: ["app:1"],
                Layers: [layerPath],
              }]),
            },
            { name: `${hex}.json`, content: config },
            ...extra,
          ]),
        );
        const err = await assertRejects(
          () => DockerArchive.open(`${dir}/h.tar`),
          StoreError,
        );
        assertStringIncludes(err.message, message);
        assertEquals(await namesIn(dir), ["h.tar"]);
      });
    }
  });
});

Deno.test("DockerArchive refuses hostile and malformed archives with a StoreError", async (t) => {
  await withTempDir(async (dir) => {
    for (const vector of hostile) {
      await t.step(vector.name, async () => {
        await Deno.writeFile(`${dir}/a.tar`, hostileBytes(vector));
        const err = await assertRejects(
          () => DockerArchive.open(`${dir}/a.tar`, { create: true }),
          StoreError,
        );
        assertStringIncludes(err.message, vector.message);
        assertEquals(await namesIn(dir), ["a.tar"]);
      });
    }
  });
});

Deno.test("DockerArchive keeps a two-platform index whole, manifest.json lists each image", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const { descriptor, images } = await makeIndex(layout, "multi");
    const want = await graphDigests(layout, "multi");
    const archive = await DockerArchive.open(`${dir}/m.tar`, { create: true });
    await copyInto(layout, archive, "multi", "app:multi");
    await archive.close();

    const items = JSON.parse(await entryOf(`${dir}/m.tar`, "manifest.json"));
    assertEquals(items.map((i: { RepoTags: string[] }) => i.RepoTags), [[
      "app:multi",
    ], []]);
    const again = await DockerArchive.open(`${dir}/m.tar`);
    assertEquals((await again.resolve("app:multi")).digest, descriptor.digest);
    assertEquals(
      (await again.resolve("@1")).digest,
      images[1].descriptor.digest,
    );
    assertEquals(await graphDigests(again, "app:multi"), want);
    const oci = await OciArchive.open(`${dir}/m.tar`);
    assertEquals((await oci.resolve("multi")).digest, descriptor.digest);
    for (const [i, ref] of ["app:multi", "@1"].entries()) {
      await skopeo(
        "copy",
        `docker-archive:${dir}/m.tar:${ref}`,
        `oci:${dir}/o${i}:1`,
      );
      assertEquals(await layerContents(`${dir}/o${i}`, "1"), images[i].tars);
    }
  });
});

Deno.test("DockerArchive refuses Docker schema 1 manifests with a StoreError", async () => {
  await withTempDir(async (dir) => {
    const archive = await DockerArchive.open(`${dir}/x.tar`, { create: true });
    const body = enc.encode(
      JSON.stringify({ schemaVersion: 1, name: "app", tag: "1" }),
    );
    for (
      const mediaType of [
        MEDIA_TYPE.DOCKER_MANIFEST_V1_SIGNED,
        MEDIA_TYPE.DOCKER_MANIFEST,
      ]
    ) {
      await assertRejects(
        () =>
          archive.push(
            { mediaType, digest: digestOf(body), size: body.byteLength },
            body,
            {
              tag: "app:1",
            },
          ),
        StoreError,
        "schema 1",
      );
    }
    await archive.close();
    assertEquals(await namesIn(dir), []);
  });
});

Deno.test("DockerArchive: tags are name:tag; a bare tag needs the archive's repository", async () => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const img = await makeImage(layout, "1");
    const bare = await DockerArchive.open(`${dir}/a.tar`, { create: true });
    await assertRejects(
      () => copyInto(layout, bare, "1", "1"),
      StoreError,
      "has no name",
    );
    await bare.discard();

    const archive = await DockerArchive.open(`${dir}/b.tar`, {
      create: true,
      reference: "ghcr.io/org/app:1",
    });
    await copyInto(layout, archive, "1", "2");
    await archive.tag(img.descriptor, "other:3");
    await archive.tag(img.descriptor, "latest");
    assertEquals(await archive.listTags(), [
      "ghcr.io/org/app:2",
      "other:3",
      "ghcr.io/org/app:latest",
    ]);
    assertEquals((await archive.resolve("2")).digest, img.descriptor.digest);
    await archive.delete("latest");
    await archive.delete("other:3");
    await archive.close();
    const again = await DockerArchive.open(`${dir}/b.tar`);
    assertEquals(await again.listTags(), ["ghcr.io/org/app:2"]);
    const index = JSON.parse(await entryOf(`${dir}/b.tar`, "index.json"));
    assertEquals(index.manifests[0].annotations, {
      "io.containerd.image.name": "ghcr.io/org/app:2",
      "org.opencontainers.image.ref.name": "2",
    });
    assertEquals(await namesIn(dir), ["b.tar", "src"]);
  });
});

Deno.test("DockerArchive: a failed write leaves no archive and no staging directory", async (t) => {
  await withTempDir(async (dir) => {
    const layout = await OciLayout.open(`${dir}/src`, { create: true });
    const img = await makeImage(layout, "1");

    await t.step("a digest mismatch, then discard()", async () => {
      const archive = await DockerArchive.open(`${dir}/a.tar`, {
        create: true,
      });
      await archive.push(img.layers[0], await layout.fetch(img.layers[0]));
      const bad: Descriptor = { ...img.layers[1], digest: digestOf("x") };
      await assertRejects(
        async () => archive.push(bad, await layout.fetch(img.layers[1])),
        DigestMismatchError,
      );
      await archive.discard();
      assertEquals(await namesIn(dir), ["src"]);
    });

    await t.step(
      "an image whose layers are missing: close() refuses",
      async () => {
        const archive = await DockerArchive.open(`${dir}/b.tar`, {
          create: true,
        });
        const root = await layout.fetchManifest("1");
        await archive.push(root.descriptor, root.bytes, { tag: "app:1" });
        assertFalse(await archive.exists(img.layers[0]));
        await assertRejects(() => archive.close(), StoreError, "does not hold");
        assertEquals(await namesIn(dir), ["src"]);
      },
    );

    await t.step("close() aborted", async () => {
      const archive = await DockerArchive.open(`${dir}/c.tar`, {
        create: true,
      });
      await copyInto(layout, archive, "1", "app:1");
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      await assertRejects(
        () => archive.close({ signal: controller.signal }),
        Error,
        "stop",
      );
      assertEquals(await namesIn(dir), ["src"]);
    });
  });
});
