// `dreg flatten SRC DST`: squash an image's layers into one (whiteouts
// applied), with a new config and manifest, from any store to any store.

import type { Command } from "../common.ts";
import { TRANSFER_FLAGS } from "../common.ts";
import { stringFlag, UsageError } from "../args.ts";
import { printBuild, withStores, writing } from "./_build.ts";

/** `--platform`: a platform, or `all`; checked. */
export async function platformOrAllArg(
  text: string | undefined,
): Promise<string | undefined> {
  if (text === undefined || text === "all") return text;
  const { parsePlatform } = await import("../../lib/ref/platform.ts");
  try {
    parsePlatform(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return text;
}

/** `--compression-level`, checked. */
function levelArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^[1-9]$/.test(text)) {
    throw new UsageError(
      `--compression-level must be an integer from 1 to 9, got "${text}"`,
    );
  }
  return n;
}

export const flatten: Command = {
  name: "flatten",
  args: "SRC DST",
  summary: "Squash an image's layers into one.",
  description:
    "Merges the layers of the image SRC names, as a container sees them\n" +
    "(whiteouts and opaque directories applied), into one gzip'ed layer,\n" +
    "and writes the image at DST (which may be SRC) with a new config\n" +
    "(one diff_id, one history entry; env, entrypoint, labels kept) and\n" +
    "manifest. Only the new layer, config and manifest are written. From an\n" +
    "index, --platform chooses one image, or all (a new index). SRC and DST\n" +
    "name registries, layouts and archives as in copy. With --json, prints\n" +
    "the descriptor(s) written.",
  examples: [
    "dreg flatten 127.0.0.1:5000/app:1 127.0.0.1:5000/app:1-flat",
    "dreg flatten --platform linux/amd64 alpine:3.20 oci:./alpine-oci:flat",
    "dreg flatten --platform all --json oci:./app-oci:1 oci-archive:app-flat.tar:1",
  ],
  flags: [
    {
      name: "--platform",
      value: "OS/ARCH[/VARIANT]|all",
      help: "from an index: one platform, or all",
    },
    {
      name: "--compression-level",
      value: "N",
      help: "gzip level of the new layer, 1 (fast) to 9 (small); default 6",
    },
    TRANSFER_FLAGS.src,
    TRANSFER_FLAGS.dst,
  ],
  arity: [2, 2],
  async run(args, io) {
    const [src, dst] = args.positional;
    const platform = await platformOrAllArg(stringFlag(args, "--platform"));
    const level = levelArg(stringFlag(args, "--compression-level"));
    const { flatten } = await import("../../lib/build/flatten.ts");
    const result = await writing(io, dst, (signal) =>
      withStores(
        args,
        src,
        dst,
        (source, target) =>
          flatten(source, target, {
            signal,
            ...(platform !== undefined ? { platform } : {}),
            ...(level !== undefined ? { compressionLevel: level } : {}),
          }),
        { signal },
      ));
    printBuild(io, args, "Flattened into", result);
    return 0;
  },
};
