// `dreg tag REF NEWTAG…`: more tags for a manifest; no blob moves.

import type { Command } from "../common.ts";
import { printJson } from "../common.ts";
import { UsageError } from "../args.ts";
import { withTarget, writing } from "./_build.ts";

export const tag: Command = {
  name: "tag",
  args: "REF NEWTAG...",
  summary: "Add tags to an image or index, moving no blob.",
  description:
    "Each NEWTAG is a bare tag (1.2, latest) in REF's repository, layout or\n" +
    "archive. A registry gets one manifest PUT per tag; no blob is read or\n" +
    "uploaded. REF names a registry, layout or archive as in copy.",
  examples: [
    "dreg tag 127.0.0.1:5000/app:1.2.3 1.2 1 latest",
    "dreg tag oci:./app-oci:1.2.3 stable",
  ],
  flags: [],
  arity: [2, Infinity],
  async run(args, io) {
    const [ref, ...tags] = args.positional;
    const { isValidTag } = await import("../../lib/ref/reference.ts");
    for (const t of tags) {
      if (!isValidTag(t)) {
        throw new UsageError(
          `invalid tag "${t}": give bare tags (letters, digits, _ . -), not references`,
        );
      }
    }
    const { tagImage } = await import("../../lib/build/tag.ts");
    const result = await writing(io, ref, (signal) =>
      withTarget(
        args,
        ref,
        (store) => tagImage(store, tags, { signal }),
        { signal, what: "reference" },
      ));
    if (args.flags.has("--json")) {
      printJson(io, result);
      return 0;
    }
    io.out(
      `Tagged ${result.descriptor.digest} as ${result.tags.join(", ")}\n`,
    );
    return 0;
  },
};
