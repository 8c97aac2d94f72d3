// `dreg pull REF DIR`: an image into an OCI image layout.

import type { Command } from "../common.ts";
import {
  clientOptionsArg,
  PLATFORM_FLAG,
  refArg,
  TRANSFER_FLAGS,
} from "../common.ts";
import { runTransfer, transferOptionsArg } from "./_transfer.ts";

export const pull: Command = {
  name: "pull",
  args: "REF DIR[:TAG]",
  summary: "Pull an image into an OCI image layout directory.",
  description:
    "The layout (oci-layout, index.json, blobs/) is created when missing; the\n" +
    "image is tagged there with the reference's tag (or :TAG), so that\n" +
    "`skopeo copy oci:DIR:TAG ...` reads it. An index is pulled whole unless\n" +
    "--platform names one platform, whose manifest is then pulled alone.",
  examples: [
    "dreg pull http://127.0.0.1:5000/foo:1 ./foo-oci",
    "dreg pull --platform linux/arm64 alpine:3.20 ./alpine-oci",
  ],
  flags: [
    PLATFORM_FLAG,
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.referrers,
    TRANSFER_FLAGS.src,
  ],
  arity: [2, 2],
  run(args, io) {
    const ref = args.positional[0];
    refArg(ref);
    const options = {
      ...clientOptionsArg(args, "src"),
      ...transferOptionsArg(args),
    };
    return runTransfer(
      args,
      io,
      { ing: "Pulling", ed: "Pulled" },
      async (onProgress, signal) =>
        (await import("../../lib/image/pull.ts")).pullImage(
          ref,
          args.positional[1],
          { ...options, onProgress, signal },
        ),
    );
  },
};
