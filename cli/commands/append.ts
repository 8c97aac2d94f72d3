// `dreg append SRC DST --layer PATH…`: layers of files on top of an image
// (or of nothing: SRC `scratch`).

import type { Command } from "../common.ts";
import { concurrencyArg, TRANSFER_FLAGS } from "../common.ts";
import { listFlag, stringFlag, UsageError } from "../args.ts";
import {
  keyValuesArg,
  printBuild,
  withStores,
  withTarget,
  writing,
} from "./_build.ts";

export const append: Command = {
  name: "append",
  args: "SRC DST",
  summary: "Add layers of files to an image, or make one from scratch.",
  description:
    "Each --layer PATH (a directory, a file, or a .tar / .tar.gz) becomes a\n" +
    "reproducible gzip'ed layer, streamed into DST's store; the config gets\n" +
    'its diff ID and a history entry (created_by "dreg append"), and the new\n' +
    "manifest is written at DST. SRC scratch starts from nothing (an empty\n" +
    "config for --platform, else linux and this machine's architecture).\n" +
    "From an index SRC, --platform chooses one image, or all. The base's\n" +
    "blobs are copied to DST only when it lacks them. Times come from\n" +
    "--created, else SOURCE_DATE_EPOCH; without either none is recorded, so\n" +
    "the same inputs give the same digest. SRC and DST name registries,\n" +
    "layouts and archives as in copy.",
  examples: [
    "dreg append 127.0.0.1:5000/base:1 127.0.0.1:5000/app:1 --layer ./dist",
    "dreg append scratch oci:./site-oci:1 --layer ./public --platform linux/amd64",
    "dreg append 127.0.0.1:5000/app:1 127.0.0.1:5000/app:1-certs --platform all --layer certs.tar.gz",
  ],
  flags: [
    {
      name: "--layer",
      value: "PATH",
      repeat: true,
      help:
        "a directory, file or tar to add as a layer; repeatable, bottom first",
    },
    {
      name: "--platform",
      value: "OS/ARCH[/VARIANT]|all",
      help: "from an index: one platform, or all; from scratch: the platform",
    },
    {
      name: "--prefix",
      value: "DIR",
      help: "put the files under DIR/ inside the layer",
    },
    {
      name: "--created",
      value: "TIME",
      help: "time recorded: RFC 3339, seconds since 1970, or now",
    },
    {
      name: "--annotation",
      value: "KEY=VALUE",
      repeat: true,
      help: "set an annotation of the image manifest(s)",
    },
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.src,
    TRANSFER_FLAGS.dst,
  ],
  arity: [2, 2],
  async run(args, io) {
    const [src, dst] = args.positional;
    const layers = listFlag(args, "--layer");
    if (layers.length === 0) {
      throw new UsageError("give at least one --layer PATH");
    }
    const platform = stringFlag(args, "--platform");
    if (platform !== undefined && platform !== "all") {
      const { parsePlatform } = await import("../../lib/ref/platform.ts");
      try {
        parsePlatform(platform);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const annotations = keyValuesArg(args, "--annotation");
    if (annotations && Object.values(annotations).includes(null)) {
      throw new UsageError("--annotation takes KEY=VALUE here");
    }
    const created = stringFlag(args, "--created");
    const prefix = stringFlag(args, "--prefix");
    const concurrency = concurrencyArg(args);
    const options = {
      layers,
      ...(platform !== undefined ? { platform } : {}),
      ...(created !== undefined
        ? { created: created === "now" ? new Date() : created }
        : {}),
      ...(annotations
        ? { annotations: annotations as Record<string, string> }
        : {}),
      ...(prefix !== undefined
        ? { layerOptions: { prefix: prefix.replace(/\/*$/, "/") } }
        : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
    };
    const { append } = await import("../../lib/build/append.ts");
    const result = await writing(
      io,
      dst,
      (signal) =>
        src === "scratch"
          ? withTarget(
            args,
            dst,
            (target) => append(null, target, { ...options, signal }),
            { signal },
          )
          : withStores(
            args,
            src,
            dst,
            (source, target) => append(source, target, { ...options, signal }),
            { signal },
          ),
    );
    printBuild(io, args, "Wrote", result);
    return 0;
  },
};
