// `dreg validate REF`: check that an image or index is whole.

import type { Command } from "../common.ts";
import { concurrencyArg, printJson, TRANSFER_FLAGS } from "../common.ts";
import { boolFlag } from "../args.ts";
import { openSource } from "./_build.ts";
import { formatBytes } from "../format.ts";

export const validate: Command = {
  name: "validate",
  args: "REF",
  summary: "Check every manifest and blob of an image is there and intact.",
  description:
    "Reads every manifest, config and layer REF references (and referrers,\n" +
    "with --referrers) through the verified fetch, and prints each one that\n" +
    "is missing or does not match its digest or size, with the manifest that\n" +
    "lists it. Exits 1 when there is any problem. REF names a registry,\n" +
    "layout or archive as in copy. With --json, prints the report.",
  examples: [
    "dreg validate 127.0.0.1:5000/app:1",
    "dreg validate --referrers oci:./app-oci:1",
  ],
  flags: [TRANSFER_FLAGS.referrers, TRANSFER_FLAGS.concurrency],
  arity: [1, 1],
  async run(args, io) {
    const { validate } = await import("../../lib/build/validate.ts");
    const concurrency = concurrencyArg(args);
    const store = await openSource(args, args.positional[0], "image");
    let report;
    try {
      report = await validate(store, {
        referrers: boolFlag(args, "--referrers"),
        ...(concurrency !== undefined ? { concurrency } : {}),
      });
    } finally {
      await store.close().catch(() => {});
    }
    if (args.flags.has("--json")) {
      printJson(io, report);
      return report.ok ? 0 : 1;
    }
    for (const p of report.problems) {
      io.out(
        `${p.kind}: ${p.message}${
          p.parent ? ` (listed by ${p.parent})` : ""
        }\n`,
      );
    }
    const summary = `${report.manifests} manifest${
      report.manifests === 1 ? "" : "s"
    }, ${report.blobs} blob${report.blobs === 1 ? "" : "s"}, ${
      formatBytes(report.bytes)
    } read`;
    if (report.ok) {
      io.out(`OK ${report.descriptor.digest}: ${summary}\n`);
      return 0;
    }
    io.err(
      `error: ${report.problems.length} problem${
        report.problems.length === 1 ? "" : "s"
      } in ${report.descriptor.digest} (${summary})\n`,
    );
    return 1;
  },
};
