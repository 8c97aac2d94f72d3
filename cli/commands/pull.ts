// `dreg pull REF DIR`: an image into an OCI image layout.

import { WALK_LIMIT_FLAGS } from "../limit_flags.ts";
import type { Command } from "../common.ts";
import { atHost } from "../error_context.ts";
import {
  clientOptionsArg,
  PLATFORM_FLAG,
  refArg,
  TRANSFER_FLAGS,
} from "../common.ts";
import {
  runTransfer,
  transferOptionsArg,
  TRUST_EXISTING_FLAG,
} from "./_transfer.ts";

export const pull: Command = {
  name: "pull",
  args: "REF DIR[:TAG]",
  summary: "Pull an image into an OCI image layout directory.",
  description:
    "The layout (oci-layout, index.json, blobs/) is created when missing; the\n" +
    "image is tagged there with the reference's tag (or :TAG), so that\n" +
    "`skopeo copy oci:DIR:TAG ...` reads it. An index is pulled whole unless\n" +
    "--platform names one platform, whose manifest is then pulled alone.\n" +
    "Blobs already in the layout are hashed once before they are skipped\n" +
    "(--trust-existing skips that); temporary files of pulls that were\n" +
    "killed are removed first. Several pulls may write one layout at once.",
  examples: [
    "dreg pull http://127.0.0.1:5000/foo:1 ./foo-oci",
    "dreg pull --platform linux/arm64 alpine:3.20 ./alpine-oci",
  ],
  flags: [
    PLATFORM_FLAG,
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.referrers,
    ...WALK_LIMIT_FLAGS,
    TRANSFER_FLAGS.src,
    TRUST_EXISTING_FLAG,
  ],
  arity: [2, 2],
  run(args, io) {
    const ref = args.positional[0];
    const host = refArg(ref).index.name;
    const options = {
      ...clientOptionsArg(args, "src"),
      ...transferOptionsArg(args),
    };
    return runTransfer(
      args,
      io,
      { ing: "Pulling", ed: "Pulled" },
      (onProgress, signal) =>
        atHost(
          host,
          async () =>
            (await import("../../lib/image/pull.ts")).pullImage(
              ref,
              args.positional[1],
              { ...options, onProgress, signal },
            ),
        ),
      `oci:${args.positional[1]}`,
    );
  },
};
