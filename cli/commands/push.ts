// `dreg push DIR[:TAG] REF`: an image from an OCI image layout.

import { WALK_LIMIT_FLAGS } from "../limit_flags.ts";
import type { Command } from "../common.ts";
import { atHost } from "../error_context.ts";
import {
  clientOptionsArg,
  PLATFORM_FLAG,
  refArg,
  TRANSFER_FLAGS,
} from "../common.ts";
import { runTransfer, transferOptionsArg } from "./_transfer.ts";

export const push: Command = {
  name: "push",
  args: "DIR[:TAG] REF",
  summary: "Push an image from an OCI image layout directory.",
  description:
    "DIR:TAG picks the image tagged TAG in the layout; without :TAG the\n" +
    "layout must hold a single image. Blobs the registry has are skipped.",
  examples: [
    "dreg push ./foo-oci:1 http://127.0.0.1:5000/foo:1",
    "dreg push -u me -p secret ./foo-oci:1 registry.example.com/team/foo:1",
  ],
  flags: [
    PLATFORM_FLAG,
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.referrers,
    ...WALK_LIMIT_FLAGS,
    TRANSFER_FLAGS.dst,
  ],
  arity: [2, 2],
  run(args, io) {
    const ref = args.positional[1];
    const host = refArg(ref).index.name;
    const options = {
      ...clientOptionsArg(args, "dst"),
      ...transferOptionsArg(args),
    };
    return runTransfer(
      args,
      io,
      { ing: "Pushing", ed: "Pushed" },
      (onProgress, signal) =>
        atHost(
          host,
          async () =>
            (await import("../../lib/image/push.ts")).pushImage(
              args.positional[0],
              ref,
              { ...options, onProgress, signal },
            ),
        ),
    );
  },
};
