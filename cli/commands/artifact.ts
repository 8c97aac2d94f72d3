// `dreg artifact push REF FILE[:MEDIATYPE]...` and `dreg artifact pull REF
// DIR`: files (and directories, packed as tar+gzip) as an OCI artifact, as
// oras pushes and pulls them, into and out of any store.

import type { Command, Io } from "../common.ts";
import { printJson, refArg } from "../common.ts";
import { listFlag, type ParsedArgs, stringFlag, UsageError } from "../args.ts";
import { openSource, storeNameArg, withTarget, writing } from "./_build.ts";
import type { ArtifactFile } from "../../lib/artifact/push.ts";

/**
 * Whether something is at `path` (following links). Deno's own call: the
 * CLI's start-up graph holds no `node:` module, which would cost every
 * command the load of Deno's Node layer.
 */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `PATH[:MEDIATYPE]`: a path that exists is taken whole (it may hold a
 * `:`); else what follows the last `:` is a media type when it has a `/`.
 */
export function fileArg(text: string): { path: string; mediaType?: string } {
  if (exists(text)) return { path: text };
  const colon = text.lastIndexOf(":");
  if (colon > 0 && text.slice(colon + 1).includes("/")) {
    return { path: text.slice(0, colon), mediaType: text.slice(colon + 1) };
  }
  return { path: text };
}

/** `--annotation KEY=VALUE`, repeated. */
function annotationsArg(args: ParsedArgs): Record<string, string> | undefined {
  const values = listFlag(args, "--annotation");
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`--annotation takes KEY=VALUE (got "${v}")`);
    }
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/**
 * `--subject`: a tag or digest of REF's repository (`1`, `sha256:…`,
 * `@sha256:…`), or a reference to the same repository.
 */
async function subjectArg(
  args: ParsedArgs,
  ref: string,
): Promise<string | undefined> {
  const text = stringFlag(args, "--subject");
  if (text === undefined) return undefined;
  const { isValidTag } = await import("../../lib/ref/reference.ts");
  const { isDigest } = await import("../../lib/ref/digest.ts");
  const bare = text.replace(/^[@:]/, "");
  if (isDigest(bare) || isValidTag(bare)) return bare;
  const target = await storeNameArg(ref, "reference");
  const subject = await storeNameArg(text, "--subject");
  if (target.transport === "docker" && subject.transport === "docker") {
    const a = refArg(target.path);
    const b = refArg(subject.path, "--subject");
    if (
      a.index.name === b.index.name && a.remoteName === b.remoteName &&
      (b.digest ?? b.tag) !== undefined
    ) {
      return b.digest ?? b.tag;
    }
  }
  throw new UsageError(
    `--subject must be a tag or digest of REF's repository (got "${text}")`,
  );
}

async function push(args: ParsedArgs, io: Io, rest: string[]): Promise<number> {
  if (rest.length < 1) {
    throw new UsageError("artifact push takes REF FILE[:MEDIATYPE]...");
  }
  const [ref, ...paths] = rest;
  const files: ArtifactFile[] = paths.map(fileArg);
  const configText = stringFlag(args, "--config");
  const artifactType = stringFlag(args, "--artifact-type");
  if (artifactType === undefined && configText === undefined) {
    throw new UsageError("artifact push needs --artifact-type (or --config)");
  }
  const annotations = annotationsArg(args);
  const subject = await subjectArg(args, ref);
  const { pushArtifact } = await import("../../lib/artifact/push.ts");
  const result = await writing(io, ref, (signal) =>
    withTarget(
      args,
      ref,
      (store) =>
        pushArtifact(store, files, {
          ...(artifactType !== undefined ? { artifactType } : {}),
          ...(configText !== undefined ? { config: fileArg(configText) } : {}),
          ...(annotations ? { annotations } : {}),
          ...(subject !== undefined ? { subject } : {}),
          signal,
        }),
      { signal, what: "reference" },
    ));
  if (args.flags.has("--json")) {
    printJson(io, result);
    return 0;
  }
  const n =
    result.manifest.layers.filter((l) =>
      l.annotations?.["org.opencontainers.image.title"] !== undefined
    ).length;
  io.out(
    `Pushed ${ref} ${result.descriptor.digest} (${result.descriptor.artifactType}, ${n} file${
      n === 1 ? "" : "s"
    }${result.subject ? `, subject ${result.subject.digest}` : ""})\n`,
  );
  return 0;
}

async function pull(args: ParsedArgs, io: Io, rest: string[]): Promise<number> {
  if (rest.length !== 2) throw new UsageError("artifact pull takes REF DIR");
  const [ref, dir] = rest;
  const store = await openSource(args, ref, "reference");
  try {
    const { pullArtifact } = await import("../../lib/artifact/pull.ts");
    // Staging directories of pulls that were killed are removed there.
    const result = await writing(
      io,
      undefined,
      (signal) => pullArtifact(store, dir, { signal }),
    );
    if (args.flags.has("--json")) {
      printJson(io, result);
      return 0;
    }
    for (const f of result.files) {
      io.out(`${f.path}${f.kind === "directory" ? "/" : ""}\n`);
    }
    io.out(
      `Pulled ${ref} ${result.descriptor.digest} (${result.artifactType}): ${result.files.length} file${
        result.files.length === 1 ? "" : "s"
      } into ${dir}\n`,
    );
    return 0;
  } finally {
    await store.close().catch(() => {});
  }
}

export const artifact: Command = {
  name: "artifact",
  args: "push REF FILE[:MEDIATYPE]... | pull REF DIR",
  summary:
    "Push files as an OCI artifact (as oras does), or pull one into a directory.",
  description:
    "artifact push REF FILE[:MEDIATYPE]...  an image manifest with an\n" +
    "    artifactType, the empty config ({}) unless --config is given, one\n" +
    "    layer per file titled by its path (org.opencontainers.image.title;\n" +
    "    default media type application/vnd.oci.image.layer.v1.tar), a\n" +
    "    directory packed as tar+gzip for unpacking on pull; the\n" +
    "    org.opencontainers.image.created annotation is added. --subject\n" +
    "    attaches it to a manifest of the same repository (registries\n" +
    "    without the referrers API get the <alg>-<hex> fallback tag).\n" +
    "artifact pull REF DIR  writes each titled layer to DIR/<title>, packed\n" +
    "    directories unpacked; titles or entries that would leave DIR, and\n" +
    "    paths through symlinks, are refused; everything is verified in a\n" +
    "    staging directory inside DIR before it is moved into place.\n" +
    "REF names a registry, an OCI layout or an archive, as in copy.",
  examples: [
    "dreg artifact push --artifact-type application/spdx+json --subject 1 127.0.0.1:5000/app:sbom sbom.spdx.json",
    "dreg artifact push --artifact-type application/vnd.example.docs --annotation org.opencontainers.image.source=https://example.com 127.0.0.1:5000/docs:1 README.md:text/markdown site/",
    "dreg artifact pull 127.0.0.1:5000/app:sbom ./out",
    "dreg artifact pull --json oci:./art-oci:v1 ./out",
  ],
  flags: [
    {
      name: "--artifact-type",
      value: "TYPE",
      help: "push: the artifact type (needed unless --config is given)",
    },
    {
      name: "--annotation",
      value: "KEY=VALUE",
      help: "push: a manifest annotation (repeatable)",
      repeat: true,
    },
    {
      name: "--subject",
      value: "REF",
      help: "push: the manifest it refers to (tag, digest or same-repo ref)",
    },
    {
      name: "--config",
      value: "FILE[:MEDIATYPE]",
      help: "push: a config instead of the empty one",
    },
  ],
  arity: [2, Infinity],
  run(args, io) {
    const [sub, ...rest] = args.positional;
    if (sub === "push") return push(args, io, rest);
    if (sub === "pull") return pull(args, io, rest);
    throw new UsageError(`unknown subcommand "${sub}": use push or pull`);
  },
};
