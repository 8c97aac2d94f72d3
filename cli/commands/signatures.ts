// `dreg signatures REF`: the signatures, attestations and SBOMs of an image
// (and of each platform's manifest of an index), under cosign's tags or as
// OCI referrers. Nothing is verified.

import { boolFlag } from "../args.ts";
import type { Command } from "../common.ts";
import { printJson } from "../common.ts";
import type { SignatureReport } from "../../lib/artifact/signatures.ts";

/** One block per manifest, one line per signature. */
export function formatSignatures(report: SignatureReport): string {
  const lines: string[] = [];
  for (const image of report.images) {
    lines.push(
      `${
        image.platform ?? report.name
      }@${image.descriptor.digest} (${image.signatures.length} found)`,
    );
    for (const s of image.signatures) {
      const where = s.scheme === "tag"
        ? `tag ${s.tag}`
        : `referrer ${s.descriptor.artifactType ?? ""}`.trimEnd();
      lines.push(`  ${s.kind.padEnd(11)} ${s.descriptor.digest}  ${where}`);
    }
  }
  return lines.join("\n") + "\n";
}

export const signatures: Command = {
  name: "signatures",
  args: "REF",
  summary:
    "List an image's signatures, attestations and SBOMs (cosign, Notary).",
  description:
    "Looks for cosign's tags (sha256-<hex>.sig, .att, .sbom in the same\n" +
    "repository) and for referrers of known artifact types (Notary v2\n" +
    "signatures, cosign signatures and sigstore bundles, in-toto\n" +
    "attestations, SPDX and CycloneDX SBOMs), on the image and, for an\n" +
    "index, on each platform's manifest. REF names a registry, a layout or\n" +
    "an archive, as in copy. Signatures are found, not verified.\n" +
    "`dreg copy --signatures` copies them along with an image.",
  examples: [
    "dreg signatures 127.0.0.1:5000/app:1",
    "dreg signatures --json oci:./app-oci:1",
  ],
  flags: [{
    name: "--no-platforms",
    help: "for an index, do not look at each platform's manifest",
  }],
  arity: [1, 1],
  async run(args, io) {
    const { openSource } = await import("./_build.ts");
    const { findSignatures } = await import(
      "../../lib/artifact/signatures.ts"
    );
    const store = await openSource(args, args.positional[0], "reference");
    try {
      const report = await findSignatures(store, {
        platforms: !boolFlag(args, "--no-platforms"),
      });
      if (args.flags.has("--json")) printJson(io, report);
      else io.out(formatSignatures(report));
      return 0;
    } finally {
      await store.close().catch(() => {});
    }
  },
};
