// `dreg index create|add|remove DST …`: multi-platform indexes.

import type { Command } from "../common.ts";
import {
  concurrencyArg,
  platformArg,
  printJson,
  TRANSFER_FLAGS,
} from "../common.ts";
import type { ParsedArgs } from "../args.ts";
import { stringFlag, UsageError } from "../args.ts";
import type { Io } from "../common.ts";
import type { ImageStore } from "../../lib/content/store.ts";
import type { IndexResult } from "../../lib/build/index_ops.ts";
import {
  keyValuesArg,
  openSource,
  sharingTargetAuth,
  storeNameArg,
  withTarget,
  writing,
} from "./_build.ts";

const SUBCOMMANDS = ["create", "add", "remove"];

function mediaTypeArg(args: ParsedArgs) {
  const text = stringFlag(args, "--media-type");
  if (text === undefined) return undefined;
  if (text === "oci") return "application/vnd.oci.image.index.v1+json" as const;
  if (text === "docker") {
    return "application/vnd.docker.distribution.manifest.list.v2+json" as const;
  }
  throw new UsageError(`--media-type takes oci or docker (got "${text}")`);
}

function print(io: Io, args: ParsedArgs, result: IndexResult): void {
  if (args.flags.has("--json")) {
    printJson(io, result);
    return;
  }
  io.out(
    `Wrote ${result.destination} ${result.descriptor.digest} (${result.manifests.length} entr${
      result.manifests.length === 1 ? "y" : "ies"
    })\n`,
  );
  for (const d of result.manifests) {
    const p = d.platform;
    const name = p
      ? [p.os, p.architecture, p.variant].filter(Boolean).join("/") +
        (p["os.version"] ? ` (${p["os.version"]})` : "")
      : d.artifactType ?? "-";
    io.out(`  ${d.digest} ${name}\n`);
  }
}

export const index: Command = {
  name: "index",
  args: "create|add|remove DST ...",
  summary: "Create a multi-platform index, or add and remove its entries.",
  description:
    "index create DST SRC...   an index of the SRC images, each entry with the\n" +
    "                          platform its config declares (an index SRC\n" +
    "                          gives its entries; --platform picks one)\n" +
    "index add DST [SRC...]    add images to the index DST (an entry of the\n" +
    "                          same platform is replaced); with no SRC, only\n" +
    "                          --annotation changes\n" +
    "index remove DST ENTRY... remove entries by digest or OS/ARCH[/VARIANT]\n" +
    "The result is an OCI index, or a Docker manifest list when every entry\n" +
    "is a Docker manifest (--media-type chooses). Images from other stores\n" +
    "are copied into DST's store first (only what it lacks). DST and SRC name\n" +
    "registries, layouts and archives as in copy.",
  examples: [
    "dreg index create 127.0.0.1:5000/app:1 127.0.0.1:5000/app:1-amd64 127.0.0.1:5000/app:1-arm64",
    "dreg index add 127.0.0.1:5000/app:1 oci:./s390x-oci:1",
    "dreg index remove 127.0.0.1:5000/app:1 linux/s390x",
    "dreg index add 127.0.0.1:5000/app:1 --annotation org.opencontainers.image.version=1",
  ],
  flags: [
    {
      name: "--annotation",
      value: "KEY=VALUE",
      repeat: true,
      help: "set an annotation of the index (KEY- removes it)",
    },
    {
      name: "--platform",
      value: "OS/ARCH[/VARIANT]",
      help: "from an index SRC, take only this platform",
    },
    { name: "--media-type", value: "oci|docker", help: "the index's type" },
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.src,
    TRANSFER_FLAGS.dst,
  ],
  arity: [2, Infinity],
  async run(args, io) {
    const [sub, dst, ...rest] = args.positional;
    if (!SUBCOMMANDS.includes(sub)) {
      throw new UsageError(
        `unknown subcommand "${sub}": use ${SUBCOMMANDS.join(", ")}`,
      );
    }
    const annotations = keyValuesArg(args, "--annotation");
    const mediaType = mediaTypeArg(args);
    const concurrency = concurrencyArg(args);
    const platform = platformArg(args);
    const common = {
      ...(annotations ? { annotations } : {}),
      ...(mediaType ? { mediaType } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    };
    const ops = await import("../../lib/build/index_ops.ts");
    if (sub === "remove") {
      if (rest.length === 0 && !annotations) {
        throw new UsageError("index remove takes DST and ENTRY...");
      }
      const { isDigest } = await import("../../lib/ref/digest.ts");
      const { parsePlatform } = await import("../../lib/ref/platform.ts");
      const digests = rest.filter((e) => isDigest(e));
      const platforms = rest.filter((e) => !isDigest(e)).map((e) => {
        try {
          return parsePlatform(e);
        } catch {
          throw new UsageError(
            `invalid entry "${e}": give a digest or OS/ARCH[/VARIANT]`,
          );
        }
      });
      print(
        io,
        args,
        await writing(io, dst, (signal) =>
          withTarget(
            args,
            dst,
            (target) =>
              ops.removeFromIndex(target, {
                ...common,
                digests,
                platforms,
                signal,
              }),
            { signal },
          )),
      );
      return 0;
    }
    if (sub === "create" && rest.length === 0) {
      throw new UsageError("index create takes DST and SRC...");
    }
    if (sub === "add" && rest.length === 0 && !annotations) {
      throw new UsageError("index add takes DST and SRC..., or --annotation");
    }
    await storeNameArg(dst, "destination");
    const sources: ImageStore[] = [];
    try {
      for (const src of rest) {
        sources.push(await openSource(args, src, "source", "source"));
      }
      const result = await writing(
        io,
        dst,
        (signal) =>
          withTarget(args, dst, async (target) => {
            // Sources on the target's registry share its auth state.
            for (let i = 0; i < sources.length; i++) {
              sources[i] = await sharingTargetAuth(
                args,
                sources[i],
                rest[i],
                target,
              );
            }
            const images = sources.map((store) => ({
              store,
              ...(platform !== undefined ? { platform } : {}),
            }));
            return sub === "create"
              ? await ops.createIndex(target, { ...common, images, signal })
              : await ops.addToIndex(target, { ...common, images, signal });
          }, { side: rest.length > 0, signal }),
      );
      print(io, args, result);
      return 0;
    } finally {
      for (const s of sources) await s.close().catch(() => {});
    }
  },
};
