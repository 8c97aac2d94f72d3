// `dreg copy SRC DST`: an image between any two stores — registries
// (`REF`, `docker://REF`), OCI layouts (`oci:PATH[:TAG]`) and archives
// (`oci-archive:PATH[:TAG]`, `docker-archive:PATH[:REF]`).

import type { Command } from "../common.ts";
import {
  clientOptionsArg,
  PLATFORM_FLAG,
  refArg,
  TRANSFER_FLAGS,
} from "../common.ts";
import { runTransfer, transferOptionsArg } from "./_transfer.ts";
import { UsageError } from "../args.ts";
import {
  parseStoreName,
  type StoreName,
} from "../../lib/content/transports.ts";

/** A store name, or exit 2. */
function storeNameArg(text: string, side: string): StoreName {
  try {
    return parseStoreName(text);
  } catch (err) {
    throw new UsageError(`invalid ${side}: ${(err as Error).message}`);
  }
}

/** Runs one side's step; its error says which side failed. */
async function sideStep<T>(side: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof Error && !err.message.startsWith(`${side}: `)) {
      err.message = `${side}: ${err.message}`;
    }
    throw err;
  }
}

export const copy: Command = {
  name: "copy",
  args: "SRC DST",
  summary: "Copy an image between registries, layouts and archives.",
  description:
    "SRC and DST are registry references (REF or docker://REF), OCI layouts\n" +
    "(oci:PATH[:TAG]), OCI archives (oci-archive:PATH[:TAG]) or docker\n" +
    "archives (docker-archive:PATH[:REF]), as skopeo names them. Blobs stream\n" +
    "from the source to the destination, verified; blobs the destination has\n" +
    "are skipped, and within one registry they are mounted. An archive is\n" +
    "written whole or not at all. -u/-p serve whichever registry asks;\n" +
    "--src-creds and --dest-creds set one side. With --platform, only that\n" +
    "platform's manifest is copied from an index.",
  examples: [
    "dreg copy http://127.0.0.1:5000/foo:1 http://127.0.0.1:5001/foo:1",
    "dreg copy --dest-creds me:secret --platform linux/amd64 alpine:3.20 registry.example.com/alpine:3.20",
    "dreg copy docker://127.0.0.1:5000/foo:1 oci-archive:foo.tar:1",
    "dreg copy docker-archive:saved.tar oci:./foo-oci:1",
  ],
  flags: [
    PLATFORM_FLAG,
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.referrers,
    TRANSFER_FLAGS.src,
    TRANSFER_FLAGS.dst,
  ],
  arity: [2, 2],
  run(args, io) {
    const [src, dst] = args.positional;
    const from = storeNameArg(src, "source");
    const to = storeNameArg(dst, "destination");
    const options = {
      src: clientOptionsArg(args, "src"),
      dst: clientOptionsArg(args, "dst"),
      ...transferOptionsArg(args),
    };
    if (from.transport === "docker" && to.transport === "docker") {
      refArg(from.path, "source reference");
      refArg(to.path, "destination reference");
      return runTransfer(
        args,
        io,
        { ing: "Copying", ed: "Copied" },
        async (onProgress, signal) =>
          (await import("../../lib/image/copy.ts")).copyImage(
            from.path,
            to.path,
            { ...options, onProgress, signal },
          ),
      );
    }
    if (from.transport === "docker") refArg(from.path, "source reference");
    if (to.transport === "docker") refArg(to.path, "destination reference");
    return runTransfer(
      args,
      io,
      { ing: "Copying", ed: "Copied" },
      async (onProgress, signal) => {
        const { openStore } = await import("../../lib/content/transports.ts");
        const { copy } = await import("../../lib/content/copy.ts");
        const source = await sideStep(
          "source",
          () => openStore(src, options.src),
        );
        const target = await sideStep(
          "destination",
          () => openStore(dst, { ...options.dst, write: true }),
        );
        try {
          const result = await copy(source, target, {
            ...options,
            onProgress,
            signal,
          });
          await sideStep("destination", () => target.close());
          return result;
        } catch (err) {
          await target.discard().catch(() => {});
          throw err;
        } finally {
          await source.close().catch(() => {});
        }
      },
    );
  },
};
