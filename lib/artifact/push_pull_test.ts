// pushArtifact and pullArtifact on local stores (memory, OCI layout): the
// manifest oras would write, files back byte for byte, packed directories,
// and hostile artifacts refused with nothing written outside the directory.

import { assertEquals, assertMatch, assertRejects } from "@std/assert";
import {
  mkdir,
  mkdtemp,
  readdir,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "@std/path/posix/join";
import { MemoryStore } from "../content/memory_store.ts";
import { OciLayout } from "../layout/oci_layout.ts";
import {
  DigestMismatchError,
  StoreError,
  UnsafeArtifactError,
} from "../errors.ts";
import type { Descriptor } from "../ref/media_types.ts";
import type { ReadOnlyImageStore } from "../content/store.ts";
import { pullArtifact } from "./pull.ts";
import { pushArtifact } from "./push.ts";
import {
  ARTIFACT_ANNOTATION,
  ARTIFACT_MEDIA_TYPE,
  EMPTY_JSON_DESCRIPTOR,
} from "./types.ts";
import {
  dirAnnotations,
  listTree,
  putImage,
  putIndex,
  putRawArtifact,
  rawTarGz,
} from "../../test_support/artifacts.ts";

const enc = new TextEncoder();
const TITLE = ARTIFACT_ANNOTATION.TITLE;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "dreg-artifact-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A work dir with two files and a directory (a subdirectory, a symlink). */
async function sampleFiles(dir: string): Promise<string> {
  const src = join(dir, "src");
  await mkdir(join(src, "docs", "sub"), { recursive: true });
  await writeFile(join(src, "a.txt"), "alpha\n");
  await writeFile(join(src, "b.json"), '{"b":1}');
  await writeFile(join(src, "docs", "index.md"), "# docs\n");
  await writeFile(join(src, "docs", "sub", "deep.txt"), "deep");
  await symlink("sub/deep.txt", join(src, "docs", "link"));
  return src;
}

Deno.test("pushArtifact() writes the manifest oras writes: artifactType, empty config, titles, created, subject", async () => {
  await withTemp(async (dir) => {
    const src = await sampleFiles(dir);
    const store = new MemoryStore();
    const image = await putImage(store, "1");
    const result = await pushArtifact(
      store,
      [join(src, "a.txt"), {
        path: join(src, "b.json"),
        mediaType: "application/json",
        title: "data/b.json",
      }],
      {
        artifactType: "application/vnd.example.report",
        annotations: { "org.example.k": "v" },
        subject: "1",
        tag: "report",
      },
    );
    const m = result.manifest;
    assertEquals(m.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assertEquals(m.artifactType, "application/vnd.example.report");
    assertEquals(m.config, { ...EMPTY_JSON_DESCRIPTOR });
    assertEquals(m.layers.map((l) => [l.mediaType, l.annotations?.[TITLE]]), [
      [ARTIFACT_MEDIA_TYPE.FILE, "a.txt"],
      ["application/json", "data/b.json"],
    ]);
    assertEquals(m.subject, image);
    assertEquals(m.annotations?.["org.example.k"], "v");
    assertMatch(
      m.annotations?.[ARTIFACT_ANNOTATION.CREATED] ?? "",
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    assertEquals(result.tag, "report");
    assertEquals(result.descriptor.artifactType, m.artifactType);
    // The exact bytes are stored, and the subject lists the artifact.
    const back = await store.fetchManifest("report");
    assertEquals(back.descriptor.digest, result.descriptor.digest);
    assertEquals(
      (await store.referrers(image.digest)).map((d) => d.digest),
      [result.descriptor.digest],
    );
    // The config is the 2-byte `{}` blob.
    const config = await new Response(await store.fetch(m.config)).text();
    assertEquals(config, "{}");
  });
});

Deno.test("pullArtifact() gives back the files and the unpacked directory, byte for byte", async () => {
  await withTemp(async (dir) => {
    const src = await sampleFiles(dir);
    const layout = await OciLayout.open(join(dir, "layout"), { create: true });
    const pushed = await pushArtifact(
      layout,
      [join(src, "a.txt"), join(src, "b.json"), join(src, "docs")],
      { artifactType: "application/vnd.example.bundle", tag: "v1" },
    );
    const docs = pushed.manifest.layers[2];
    assertEquals(docs.mediaType, ARTIFACT_MEDIA_TYPE.DIRECTORY);
    assertEquals(docs.annotations?.[ARTIFACT_ANNOTATION.UNPACK], "true");
    assertMatch(
      docs.annotations?.[ARTIFACT_ANNOTATION.CONTENT_DIGEST] ?? "",
      /^sha256:[0-9a-f]{64}$/,
    );
    const out = join(dir, "out");
    const pulled = await pullArtifact(layout, out, { reference: "v1" });
    assertEquals(pulled.files.map((f) => [f.title, f.kind]), [
      ["a.txt", "file"],
      ["b.json", "file"],
      ["docs", "directory"],
    ]);
    assertEquals(pulled.skipped, 0);
    assertEquals(await listTree(out), {
      "a.txt": "alpha\n",
      "b.json": '{"b":1}',
      "docs": "<dir>",
      "docs/index.md": "# docs\n",
      "docs/link": "-> sub/deep.txt",
      "docs/sub": "<dir>",
      "docs/sub/deep.txt": "deep",
    });
    // Nothing else beside: no staging directory left.
    assertEquals((await readdir(dir)).sort(), ["layout", "out", "src"]);
  });
});

Deno.test("pushArtifact() checks its arguments", async () => {
  const store = new MemoryStore();
  const bytes = enc.encode("x");
  await assertRejects(
    () => pushArtifact(store, [{ content: bytes, title: "x" }]),
    TypeError,
    "artifact type",
  );
  await assertRejects(
    () =>
      pushArtifact(store, [{ content: bytes, title: "x" }], {
        artifactType: "not a media type",
      }),
    TypeError,
    "Invalid artifact type",
  );
  for (const title of ["../x", "/etc/x", "", "a/../../x", "a\\b", "."]) {
    await assertRejects(
      () =>
        pushArtifact(store, [{ content: bytes, title }], {
          artifactType: "application/x",
        }),
      TypeError,
      "Invalid title",
    );
  }
  await assertRejects(
    () =>
      pushArtifact(store, [
        { content: bytes, title: "x" },
        { content: bytes, title: "./x" },
      ], { artifactType: "application/x" }),
    TypeError,
    "Two files",
  );
  await assertRejects(
    () =>
      pushArtifact(store, [], {
        artifactType: "application/x",
        annotations: { [ARTIFACT_ANNOTATION.CREATED]: "yesterday" },
      }),
    TypeError,
    "RFC 3339",
  );
  assertEquals(store.size, 0, "nothing was pushed");
});

Deno.test("pushArtifact() without files has the empty layer; with a config, no artifactType is needed; created can be turned off", async () => {
  const store = new MemoryStore();
  const none = await pushArtifact(store, [], {
    artifactType: "application/vnd.example.empty",
    created: false,
  });
  assertEquals(none.manifest.layers, [{ ...EMPTY_JSON_DESCRIPTOR }]);
  assertEquals(none.manifest.annotations, undefined);
  const withConfig = await pushArtifact(
    store,
    [{ content: enc.encode("chart"), title: "chart.tgz" }],
    {
      config: {
        content: enc.encode('{"name":"c"}'),
        mediaType: "application/vnd.cncf.helm.config.v1+json",
      },
      created: new Date("2026-01-02T03:04:05.678Z"),
    },
  );
  assertEquals(withConfig.manifest.artifactType, undefined);
  assertEquals(
    withConfig.descriptor.artifactType,
    "application/vnd.cncf.helm.config.v1+json",
  );
  assertEquals(
    withConfig.manifest.annotations?.[ARTIFACT_ANNOTATION.CREATED],
    "2026-01-02T03:04:05Z",
  );
});

Deno.test("pushArtifact() titles a path by itself when it is relative and inside, else by its name", async () => {
  await withTemp(async (dir) => {
    await writeFile(join(dir, "f.txt"), "f");
    const store = new MemoryStore();
    const r = await pushArtifact(store, [join(dir, "f.txt")], {
      artifactType: "application/x",
    });
    assertEquals(r.manifest.layers[0].annotations?.[TITLE], "f.txt");
    await mkdir(join(dir, "tree"));
    await writeFile(join(dir, "tree", "t"), "t");
    const d = await pushArtifact(store, [`${join(dir, "tree")}/`], {
      artifactType: "application/x",
    });
    assertEquals(d.manifest.layers[0].annotations?.[TITLE], "tree");
  });
});

/** Runs a pull that must be refused; checks nothing changed in `dir`'s parent. */
async function refused(
  store: ReadOnlyImageStore,
  reference: string,
  // deno-lint-ignore no-explicit-any
  errorClass: abstract new (...args: any[]) => Error,
  message: string,
): Promise<void> {
  await withTemp(async (parent) => {
    await writeFile(join(parent, "keep.txt"), "keep");
    const out = join(parent, "out", "nested");
    const before = await listTree(parent);
    await assertRejects(
      () => pullArtifact(store, out, { reference }),
      errorClass,
      message,
    );
    assertEquals(await listTree(parent), before, "nothing written or left");
    // Into a directory that exists: it is left as it was.
    await assertRejects(
      () => pullArtifact(store, parent, { reference }),
      errorClass,
      message,
    );
    assertEquals(await listTree(parent), before, "nothing written or left");
  });
}

Deno.test("pullArtifact() refuses titles that leave the directory, with nothing written", async (t) => {
  const store = new MemoryStore();
  const bytes = enc.encode("pwned");
  for (const title of ["../x", "/etc/x", "", "a/../../x", "a\\..\\x"]) {
    await t.step(JSON.stringify(title), async () => {
      const tag = `t${crypto.randomUUID().slice(0, 8)}`;
      await putRawArtifact(store, [
        { bytes: enc.encode("fine"), annotations: { [TITLE]: "fine.txt" } },
        { bytes, annotations: { [TITLE]: title } },
      ], { tag });
      await refused(store, tag, UnsafeArtifactError, "refusing the artifact");
    });
  }
});

Deno.test("pullArtifact() refuses packed directories that escape, with nothing written", async (t) => {
  const store = new MemoryStore();
  const cases: [string, Parameters<typeof rawTarGz>[0]][] = [
    ["a ../ entry", [{ name: "d", typeflag: "5" }, {
      name: "d/../../x",
      content: "pwned",
    }]],
    ["an absolute entry", [{ name: "d", typeflag: "5" }, {
      name: "/tmp/x",
      content: "pwned",
    }]],
    ["an entry outside the title", [{ name: "d", typeflag: "5" }, {
      name: "other/x",
      content: "pwned",
    }]],
    ["a symlink out", [{ name: "d", typeflag: "5" }, {
      name: "d/l",
      typeflag: "2",
      linkname: "../../../etc",
    }]],
    ["an absolute symlink", [{ name: "d", typeflag: "5" }, {
      name: "d/l",
      typeflag: "2",
      linkname: "/etc",
    }]],
    ["a write through a symlink", [
      { name: "d", typeflag: "5" },
      { name: "d/l", typeflag: "2", linkname: "sub" },
      { name: "d/l/x", content: "pwned" },
    ]],
    ["a symlink through a symlink", [
      { name: "d", typeflag: "5" },
      { name: "d/a/b", typeflag: "5" },
      { name: "d/a/b/l1", typeflag: "2", linkname: "../../c" },
      { name: "d/l2", typeflag: "2", linkname: "a/b/l1/../../.." },
    ]],
    ["a hard link out", [{ name: "d", typeflag: "5" }, {
      name: "d/h",
      typeflag: "1",
      linkname: "etc/passwd",
    }]],
    ["the title as a symlink", [{ name: "d", typeflag: "2", linkname: ".." }]],
  ];
  for (const [what, entries] of cases) {
    await t.step(what, async () => {
      const gz = await rawTarGz(entries);
      const tag = `t${crypto.randomUUID().slice(0, 8)}`;
      await putRawArtifact(store, [
        { bytes: enc.encode("fine"), annotations: { [TITLE]: "fine.txt" } },
        {
          bytes: gz,
          mediaType: ARTIFACT_MEDIA_TYPE.DIRECTORY,
          annotations: await dirAnnotations("d", gz),
        },
      ], { tag });
      await refused(store, tag, UnsafeArtifactError, "refusing the artifact");
    });
  }
});

Deno.test("pullArtifact() never writes through a symlink already in the directory", async () => {
  await withTemp(async (parent) => {
    const outside = join(parent, "outside");
    await mkdir(outside);
    const out = join(parent, "out");
    await mkdir(out);
    await symlink(outside, join(out, "a"));
    await writeFile(join(out, "file-link-target"), "mine");
    await symlink(join(out, "file-link-target"), join(out, "b.txt"));
    const store = new MemoryStore();
    await putRawArtifact(store, [
      { bytes: enc.encode("pwned"), annotations: { [TITLE]: "a/x.txt" } },
    ], { tag: "through" });
    await assertRejects(
      () => pullArtifact(store, out, { reference: "through" }),
      UnsafeArtifactError,
      "through the symlink",
    );
    assertEquals(await readdir(outside), []);
    // A file whose title is a symlink replaces the link, not its target.
    await putRawArtifact(store, [
      { bytes: enc.encode("new"), annotations: { [TITLE]: "b.txt" } },
    ], { tag: "over" });
    await pullArtifact(store, out, { reference: "over" });
    const tree = await listTree(out);
    assertEquals(tree["b.txt"], "new");
    assertEquals(tree["file-link-target"], "mine");
    assertEquals(await readdir(outside), []);
  });
});

Deno.test("pullArtifact() verifies every layer before moving anything into place", async () => {
  const store = new MemoryStore();
  await putRawArtifact(store, [
    { bytes: enc.encode("first"), annotations: { [TITLE]: "first.txt" } },
    { bytes: enc.encode("second"), annotations: { [TITLE]: "second.txt" } },
  ], { tag: "x" });
  // A store that hands out the second layer corrupted (and unverified).
  const corrupt: ReadOnlyImageStore = {
    kind: store.kind,
    name: "corrupt",
    reference: "x",
    resolve: (r, o) => store.resolve(r, o),
    fetchManifest: (t, o) => store.fetchManifest(t, o),
    exists: (d, o) => store.exists(d, o),
    referrers: (d, o) => store.referrers(d, o),
    listTags: (o) => store.listTags(o),
    async fetch(d: Descriptor) {
      const bytes = await new Response(await store.fetch(d)).bytes();
      if (new TextDecoder().decode(bytes) === "second") bytes[0] ^= 1;
      return new Blob([bytes]).stream();
    },
  };
  await refused(corrupt, "x", DigestMismatchError, "second.txt");
});

Deno.test("pullArtifact() refuses an index and overlapping titles", async () => {
  const store = new MemoryStore();
  await putImage(store, "img");
  await putRawArtifact(store, [
    { bytes: enc.encode("1"), annotations: { [TITLE]: "a" } },
    { bytes: enc.encode("2"), annotations: { [TITLE]: "a/b" } },
  ], { tag: "overlap" });
  await refused(store, "overlap", StoreError, "overlap");
  await putIndex(store, "multi");
  await refused(store, "multi", StoreError, "not an artifact");
});

Deno.test("pullArtifact() removes the staging directory a killed pull left, and no live pull's", async () => {
  await withTemp(async (dir) => {
    const src = await sampleFiles(dir);
    const store = new MemoryStore();
    await pushArtifact(store, [join(src, "a.txt")], {
      artifactType: "application/vnd.example",
      tag: "v1",
    });
    const out = join(dir, "out");
    await mkdir(out);
    const child = new Deno.Command("true").spawn();
    await child.status;
    const start = (Date.now() - 60_000).toString(36);
    const mine = Math.floor(performance.timeOrigin).toString(36);
    // A pull that was killed midway (its process is gone): its staging
    // directory, with a partial file; and one of a pull still running.
    const stale = `.dreg-pull-${child.pid}-${start}-0123abcd`;
    const live = `.dreg-pull-${Deno.pid}-${mine}-0123abcd`;
    for (const name of [stale, live]) {
      await mkdir(join(out, name));
      await writeFile(join(out, name, "a.txt"), "alp");
    }
    await pullArtifact(store, out, { reference: "v1" });
    assertEquals((await readdir(out)).sort(), [live, "a.txt"].sort());
  });
});
