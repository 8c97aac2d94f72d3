// `dreg copy SRC DST`: an image from one repository to another.

import type { Command } from "../common.ts";
import {
  clientOptionsArg,
  PLATFORM_FLAG,
  refArg,
  TRANSFER_FLAGS,
} from "../common.ts";
import { runTransfer, transferOptionsArg } from "./_transfer.ts";

export const copy: Command = {
  name: "copy",
  args: "SRC DST",
  summary: "Copy an image between repositories or registries.",
  description:
    "Blobs stream from the source to the destination without touching the\n" +
    "disk; blobs the destination has are skipped, and within one registry\n" +
    "they are mounted. -u/-p serve whichever registry asks; --src-creds and\n" +
    "--dest-creds set one side. With --platform, only that platform's\n" +
    "manifest is copied from an index.",
  examples: [
    "dreg copy http://127.0.0.1:5000/foo:1 http://127.0.0.1:5001/foo:1",
    "dreg copy --dest-creds me:secret --platform linux/amd64 alpine:3.20 registry.example.com/alpine:3.20",
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
    refArg(src, "source reference");
    refArg(dst, "destination reference");
    const options = {
      src: clientOptionsArg(args, "src"),
      dst: clientOptionsArg(args, "dst"),
      ...transferOptionsArg(args),
    };
    return runTransfer(
      args,
      io,
      { ing: "Copying", ed: "Copied" },
      async (onProgress, signal) =>
        (await import("../../lib/image/copy.ts")).copyImage(src, dst, {
          ...options,
          onProgress,
          signal,
        }),
    );
  },
};
