// `dreg blob get REF@DIGEST [FILE]` and `dreg blob put REPO FILE`: one blob
// streamed out (verified) or in (its digest computed while it streams).

import type { Command } from "../common.ts";
import { printJson } from "../common.ts";
import type { Io } from "../common.ts";
import { type ParsedArgs, stringFlag, UsageError } from "../args.ts";
import type { ImageStore } from "../../lib/content/store.ts";
import type { Descriptor } from "../../lib/ref/media_types.ts";
import { formatBytes } from "../format.ts";
import { atHost } from "../error_context.ts";
import { openSource, withTarget, writing } from "./_build.ts";

const DIGEST_SUFFIX = /@([a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)$/;

/** Splits `NAME@DIGEST`. */
function splitDigest(text: string): { name: string; digest: string } {
  const m = DIGEST_SUFFIX.exec(text);
  if (!m) {
    throw new UsageError(
      `blob get takes REF@DIGEST, e.g. 127.0.0.1:5000/app@sha256:... (got "${text}")`,
    );
  }
  return { name: text.slice(0, m.index), digest: m[1] };
}

/**
 * The blob's descriptor: a registry is asked (`HEAD`); another store is
 * searched for a manifest that lists the digest.
 */
async function findBlob(
  store: ImageStore,
  digest: string,
  signal: AbortSignal,
): Promise<Descriptor> {
  if (store.kind === "registry") {
    const { RegistryStore } = await import("../../lib/registry/store.ts");
    if (store instanceof RegistryStore) {
      const { client } = store;
      const head = await atHost(
        client.repo.index.name,
        () => client.headBlob(digest, { signal }),
      );
      return {
        mediaType: "application/octet-stream",
        digest,
        size: head.size,
      };
    }
  }
  const { isImageIndex, isImageManifest } = await import(
    "../../lib/ref/media_types.ts"
  );
  const withIndex = store as unknown as {
    readIndex?: () => Promise<{ manifests: Descriptor[] }>;
    index?: () => { manifests: Descriptor[] };
  };
  const roots: Descriptor[] = typeof withIndex.readIndex === "function"
    ? (await withIndex.readIndex()).manifests
    : typeof withIndex.index === "function"
    ? withIndex.index().manifests
    : await Promise.all(
      (await store.listTags({ signal })).map((t) =>
        store.resolve(t, { signal })
      ),
    );
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const d = queue.shift()!;
    if (d.digest === digest) return d;
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    const { manifest } = await store.fetchManifest(d, { signal });
    if (isImageIndex(manifest)) queue.push(...manifest.manifests);
    else if (isImageManifest(manifest)) {
      for (const b of [manifest.config, ...manifest.layers]) {
        if (b.digest === digest) return b;
      }
    }
  }
  const { ContentNotFoundError } = await import("../../lib/errors.ts");
  throw new ContentNotFoundError(
    `find blob ${digest}`,
    store.name,
    "no manifest of the store lists it",
  );
}

async function get(args: ParsedArgs, io: Io, rest: string[]): Promise<number> {
  if (rest.length < 1 || rest.length > 2) {
    throw new UsageError("blob get takes REF@DIGEST [FILE]");
  }
  const { name, digest } = splitDigest(rest[0]);
  const { isDigest } = await import("../../lib/ref/digest.ts");
  if (!isDigest(digest)) throw new UsageError(`invalid digest "${digest}"`);
  const file = rest[1];
  const store = await openSource(args, name, "blob");
  try {
    const descriptor = await writing(io, undefined, async (signal) => {
      const descriptor = await findBlob(store, digest, signal);
      const stream = await store.fetch(descriptor, { signal });
      if (file === undefined || file === "-") {
        for await (const chunk of stream) io.out(chunk);
      } else {
        // Whole or not at all; one a killed run left is removed first.
        const { writeFileAtomically } = await import(
          "../../lib/layout/_atomic_file.ts"
        );
        await writeFileAtomically(file, stream, { signal });
      }
      return descriptor;
    });
    if (args.flags.has("--json")) {
      (file === undefined || file === "-" ? (t: string) => io.err(t) : io.out)(
        JSON.stringify(descriptor, null, 2) + "\n",
      );
    }
    return 0;
  } finally {
    await store.close().catch(() => {});
  }
}

async function put(args: ParsedArgs, io: Io, rest: string[]): Promise<number> {
  if (rest.length !== 2) throw new UsageError("blob put takes REPO FILE");
  const [repo, file] = rest;
  const mediaType = stringFlag(args, "--media-type") ??
    "application/octet-stream";
  const descriptor = await writing(
    io,
    repo,
    (signal) =>
      withTarget(args, repo, async (store) => {
        const input = file === "-"
          ? Deno.stdin.readable
          : (await Deno.open(file, { read: true })).readable;
        return await store.pushBlob(input, { mediaType, signal });
      }, { signal }),
  );
  if (args.flags.has("--json")) printJson(io, descriptor);
  else {
    io.out(
      `Pushed ${descriptor.digest} (${
        formatBytes(descriptor.size)
      }) to ${repo}\n`,
    );
  }
  return 0;
}

export const blob: Command = {
  name: "blob",
  args: "get REF@DIGEST [FILE] | put REPO FILE",
  summary: "Stream one blob out of a store (verified) or into one.",
  description:
    "blob get REF@DIGEST [FILE]  the blob, verified against its digest and\n" +
    "                            size as it streams, to FILE (written to a\n" +
    "                            temporary file, renamed when whole; nothing\n" +
    "                            is left on failure) or to stdout (- or none)\n" +
    "blob put REPO FILE          FILE (- for stdin) as a blob, its digest\n" +
    "                            computed as it streams; prints the descriptor\n" +
    "REF and REPO name registries, layouts and archives as in copy. With\n" +
    "--json, blob get prints the descriptor (to stderr when the blob goes to\n" +
    "stdout).",
  examples: [
    "dreg blob get 127.0.0.1:5000/app@sha256:... layer.tar.gz",
    "dreg blob get oci:./app-oci@sha256:... | tar tz",
    "dreg blob put --json 127.0.0.1:5000/app ./sbom.json --media-type application/spdx+json",
  ],
  flags: [
    {
      name: "--media-type",
      value: "TYPE",
      help: "blob put: the media type in the descriptor printed",
    },
  ],
  arity: [2, 3],
  run(args, io) {
    const [sub, ...rest] = args.positional;
    if (sub === "get") return get(args, io, rest);
    if (sub === "put") return put(args, io, rest);
    throw new UsageError(`unknown subcommand "${sub}": use get or put`);
  },
};
