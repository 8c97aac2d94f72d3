// Test support for lib/build (not published): images assembled from
// directories, unpacked by umoci and GNU tar, and file trees compared as
// plain data (type, mode, content digest, link target).

import { createHash } from "node:crypto";
import { digestOf } from "../../ref/digest.ts";
import { type Descriptor, MEDIA_TYPE } from "../../ref/media_types.ts";
import type { ImageStore } from "../../content/store.ts";
import { pushLayer } from "../layer.ts";

/** One path of a tree, as compared. */
export interface TreeNode {
  type: "file" | "dir" | "symlink" | "fifo" | "other";
  /** Permission bits (with setuid, setgid, sticky). */
  mode: string;
  /** sha256 of a file's content. */
  sha256?: string;
  /** A symlink's target. */
  link?: string;
}

/** Runs a command; its stdout, or an error with its stderr. */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; stdin?: Uint8Array } = {},
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const w = child.stdin.getWriter();
    await w.write(options.stdin);
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout);
}

/** Every path under `root` (not itself): type, mode, content digest, link. */
export async function readTree(
  root: string,
): Promise<Record<string, TreeNode>> {
  const out: Record<string, TreeNode> = {};
  const visit = async (dir: string, rel: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    for (const name of names.sort()) {
      const abs = `${dir}/${name}`;
      const path = rel ? `${rel}/${name}` : name;
      const s = await Deno.lstat(abs);
      const mode = ((s.mode ?? 0) & 0o7777).toString(8);
      if (s.isSymlink) {
        out[path] = {
          type: "symlink",
          mode: "-",
          link: await Deno.readLink(abs),
        };
      } else if (s.isDirectory) {
        out[path] = { type: "dir", mode };
        await visit(abs, path);
      } else if (s.isFile) {
        const hash = createHash("sha256");
        hash.update(await Deno.readFile(abs));
        out[path] = { type: "file", mode, sha256: hash.digest("hex") };
      } else {
        out[path] = { type: s.isFifo ? "fifo" : "other", mode };
      }
    }
  };
  await visit(root, "");
  return out;
}

/** Writes files: `path → content` (a string), `path/` → directory, `{link}` → symlink. */
export async function writeFiles(
  root: string,
  files: Record<
    string,
    string | { link: string } | { mode: number; content: string }
  >,
): Promise<void> {
  for (const [path, value] of Object.entries(files)) {
    const abs = `${root}/${path}`;
    const parent = abs.replace(/\/[^/]*\/?$/, "");
    await Deno.mkdir(parent, { recursive: true });
    if (path.endsWith("/")) {
      await Deno.mkdir(abs, { recursive: true });
      if (typeof value === "object" && "mode" in value) {
        await Deno.chmod(abs, value.mode);
      }
    } else if (typeof value === "string") {
      await Deno.writeTextFile(abs, value);
    } else if ("link" in value) {
      await Deno.symlink(value.link, abs);
    } else {
      await Deno.writeTextFile(abs, value.content);
      await Deno.chmod(abs, value.mode);
    }
  }
}

/**
 * An image of one layer per directory (bottom first), pushed with a
 * config and a manifest (OCI, or Docker's) under `tag`.
 */
export async function imageOf(
  store: ImageStore,
  dirs: string[],
  tag: string,
  options: { docker?: boolean; architecture?: string } = {},
): Promise<Descriptor> {
  const layers = [];
  for (const dir of dirs) {
    layers.push(
      await pushLayer(store, dir, {
        mtime: 1_700_000_000,
        ...(options.docker ? { mediaType: MEDIA_TYPE.DOCKER_LAYER } : {}),
      }),
    );
  }
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: options.architecture ?? "amd64",
    os: "linux",
    config: { Env: ["PATH=/bin"], Labels: { made: "test" } },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created_by: "test" })),
  }));
  const configDescriptor: Descriptor = {
    mediaType: options.docker
      ? MEDIA_TYPE.DOCKER_CONFIG
      : MEDIA_TYPE.OCI_CONFIG,
    digest: digestOf(config),
    size: config.byteLength,
  };
  await store.push(configDescriptor, config);
  const manifestType = options.docker
    ? MEDIA_TYPE.DOCKER_MANIFEST
    : MEDIA_TYPE.OCI_MANIFEST;
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: manifestType,
    config: configDescriptor,
    layers: layers.map((l) => l.descriptor),
  }));
  const descriptor: Descriptor = {
    mediaType: manifestType,
    digest: digestOf(manifest),
    size: manifest.byteLength,
  };
  await store.push(descriptor, manifest, { tag });
  return descriptor;
}

/** umoci's rootless unpack of `layout:tag`: the rootfs directory. */
export async function umociUnpack(
  layout: string,
  tag: string,
  into: string,
): Promise<string> {
  await run("umoci", [
    "unpack",
    "--rootless",
    "--image",
    `${layout}:${tag}`,
    into,
  ]);
  return `${into}/rootfs`;
}

/** A temporary directory, removed when disposed. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "build-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Three layers that exercise what merging must get right, as directories
 * under `root` (`l1`, `l2`, `l3`, bottom first): whiteouts, opaque
 * directories, a directory replaced by a file and by a symlink, a file
 * replaced by a directory in the layer that deletes it, hard links (one
 * whose target a later layer replaces), setuid and sticky modes.
 */
export async function whiteoutLayers(root: string): Promise<string[]> {
  await writeFiles(`${root}/l1`, {
    "etc/passwd": "root:x:0:0\n",
    "etc/group": "root:x:0:\n",
    "etc/hosts": "127.0.0.1 localhost\n",
    "bin/sh": { mode: 0o4755, content: "#!sh" },
    "bin/ln": { link: "sh" },
    "tmp/": { mode: 0o1777, content: "" },
    "gone.txt": "deleted above",
    "dir/a": "a",
    "dir/b": "b",
    "olddir/x": "x",
    "olddir/sub/y": "y",
    "becomes-file/y": "y",
    "lib/x.so": "lib",
    "hid/a-orig": "original content",
    "keep/one": "kept",
  });
  // Hard links: keep/two to keep/one; hid/b-link to hid/a-orig, which the
  // next layer replaces (the link keeps the original content).
  await Deno.link(`${root}/l1/keep/one`, `${root}/l1/keep/two`);
  await Deno.link(`${root}/l1/hid/a-orig`, `${root}/l1/hid/b-link`);
  await writeFiles(`${root}/l2`, {
    ".wh.gone.txt": "",
    "dir/.wh..wh..opq": "",
    "dir/c": "c",
    "etc/passwd": "root:x:0:0:changed\n",
    "becomes-file": "now a file",
    "lib": { link: "usr/lib" },
    "usr/lib/z.so": "z",
    "hid/a-orig": "replaced",
  });
  await writeFiles(`${root}/l3`, {
    ".wh.olddir": "",
    "etc/.wh.hosts": "",
    "etc/hosts/inner": "hosts is a directory now",
    "bin/.wh.ln": "",
  });
  return [`${root}/l1`, `${root}/l2`, `${root}/l3`];
}
