// `dreg export REF FILE|-`: the merged filesystem of an image (one
// platform, whiteouts applied) as an uncompressed tar, to a file (written
// whole or not at all) or to stdout.

import type { Command, Io } from "../common.ts";
import { printJson, TRANSFER_FLAGS } from "../common.ts";
import { stringFlag, UsageError } from "../args.ts";
import { formatBytes } from "../format.ts";
import { openSource, writing } from "./_build.ts";
import { platformOrAllArg } from "./flatten.ts";

/**
 * The chunks of a stream read into one reused buffer (each valid until the
 * next): a tar of any size makes no garbage to collect.
 */
async function* chunksOf(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const { ChunkReader } = await import("../../lib/content/_byte_reader.ts");
  const reader = new ChunkReader(stream);
  try {
    for (let c; (c = await reader.next()) !== undefined;) yield c;
  } finally {
    await reader.cancel();
  }
}

/** Writes a stream to stdout, chunk by chunk. */
async function writeOut(
  io: Io,
  stream: ReadableStream<Uint8Array>,
): Promise<number> {
  let written = 0;
  for await (const chunk of chunksOf(stream)) {
    io.out(chunk);
    written += chunk.byteLength;
  }
  return written;
}

export const exportCommand: Command = {
  name: "export",
  args: "REF FILE|-",
  summary: "Write an image's merged filesystem as a tar.",
  description:
    "Applies the layers of the image REF names in order, as a container sees\n" +
    "them (whiteouts and opaque directories applied, whiteout files left\n" +
    "out), and writes the result as an uncompressed tar to FILE (a\n" +
    "temporary file renamed once whole) or to stdout (-, not a terminal).\n" +
    "Layers are streamed: memory does not grow with their size. An index\n" +
    "needs --platform unless it has a single platform. REF names a\n" +
    "registry, layout or archive as in copy. With --json (FILE only),\n" +
    "prints {image, file, size}.",
  examples: [
    "dreg export 127.0.0.1:5000/app:1 rootfs.tar",
    "dreg export --platform linux/arm64 alpine:3.20 - | tar -t",
    "dreg export oci:./app-oci:1 - | tar -x -C ./rootfs",
  ],
  flags: [
    {
      name: "--platform",
      value: "OS/ARCH[/VARIANT]",
      help: "the platform to export from an index",
    },
    TRANSFER_FLAGS.src,
  ],
  arity: [2, 2],
  async run(args, io) {
    const [ref, file] = args.positional;
    const platform = await platformOrAllArg(stringFlag(args, "--platform"));
    if (platform === "all") {
      throw new UsageError("export takes one platform, not all");
    }
    const json = args.flags.has("--json");
    if (file === "-" && json) {
      throw new UsageError("--json needs a FILE (stdout holds the tar)");
    }
    if (file === "-" && io.stdoutIsTerminal) {
      throw new UsageError(
        "refusing to write a tar to a terminal: give a FILE, or redirect stdout",
      );
    }
    const { exportFilesystem, resolveImage } = await import(
      "../../lib/build/export.ts"
    );
    const source = await openSource(args, ref);
    try {
      const { image, size } = await writing(io, undefined, async (signal) => {
        const options = {
          signal,
          ...(platform !== undefined ? { platform } : {}),
        };
        const image = await resolveImage(source, options);
        const tar = await exportFilesystem(source, {
          ...options,
          reference: image.descriptor.digest,
        });
        const size = file === "-"
          ? await writeOut(io, tar)
          : await (await import("../../lib/layout/_atomic_file.ts"))
            .writeFileAtomically(file, tar, { signal });
        return { image: image.descriptor, size };
      });
      if (json) printJson(io, { image, file, size });
      else if (file !== "-") {
        io.out(
          `Exported ${image.digest} to ${file} (${formatBytes(size)})\n`,
        );
      }
      return 0;
    } finally {
      await source.close().catch(() => {});
    }
  },
};
