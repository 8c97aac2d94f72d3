// `dreg referrers REF`: the manifests whose subject is REF; with --tree,
// what refers to them too, and so on (REF may then name any store).

import { boolFlag, type ParsedArgs, stringFlag, UsageError } from "../args.ts";
import type { Command, Io } from "../common.ts";
import { clientFor, printJson, refArg } from "../common.ts";
import type {
  ReferrerNode,
  ReferrersTree,
} from "../../lib/artifact/referrers_tree.ts";

/** The tree as `oras discover -o tree` draws it. */
export function formatTree(tree: ReferrersTree): string {
  const lines = [`${tree.name}@${tree.root.descriptor.digest}`];
  const walk = (node: ReferrerNode, prefix: string) => {
    node.referrers.forEach((child, i) => {
      const last = i === node.referrers.length - 1;
      const d = child.descriptor;
      lines.push(
        `${prefix}${last ? "└── " : "├── "}${
          d.artifactType ?? d.mediaType
        } ${d.digest}${child.truncated ? " (more not listed)" : ""}`,
      );
      walk(child, `${prefix}${last ? "    " : "│   "}`);
    });
  };
  walk(tree.root, "");
  if (tree.root.truncated) lines.push("└── (more not listed)");
  return lines.join("\n") + "\n";
}

/** `--depth N`, checked. */
function depthArg(args: ParsedArgs): number | undefined {
  const text = stringFlag(args, "--depth");
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 100) {
    throw new UsageError(
      `--depth must be an integer from 1 to 100, got "${text}"`,
    );
  }
  return n;
}

async function tree(args: ParsedArgs, io: Io): Promise<number> {
  const { openSource } = await import("./_build.ts");
  const { referrersTree } = await import(
    "../../lib/artifact/referrers_tree.ts"
  );
  const depth = depthArg(args);
  const artifactType = stringFlag(args, "--artifact-type");
  const store = await openSource(args, args.positional[0], "reference");
  try {
    const result = await referrersTree(store, {
      ...(artifactType !== undefined ? { artifactType } : {}),
      ...(depth !== undefined ? { maxDepth: depth } : {}),
    });
    if (args.flags.has("--json")) printJson(io, result);
    else io.out(formatTree(result));
    return 0;
  } finally {
    await store.close().catch(() => {});
  }
}

export const referrers: Command = {
  name: "referrers",
  args: "REF",
  summary: "List the referrers of a manifest (signatures, SBOMs, ...).",
  description:
    "Uses the OCI 1.1 referrers API, or the <alg>-<hex> fallback tag.\n" +
    "With --json, prints the referrers index.\n" +
    "With --tree, lists the referrers of the referrers too, recursively (as\n" +
    "oras discover does), REF naming a registry, a layout or an archive as\n" +
    "in copy; --artifact-type then keeps the referrers of that type and those\n" +
    "that lead to one; --json prints the tree.",
  examples: [
    "dreg referrers http://127.0.0.1:5000/foo:1",
    "dreg referrers --artifact-type application/spdx+json --json http://127.0.0.1:5000/foo:1",
    "dreg referrers --tree 127.0.0.1:5000/foo:1",
    "dreg referrers --tree --artifact-type application/vnd.cncf.notary.signature oci:./foo-oci:1",
  ],
  flags: [
    {
      name: "--artifact-type",
      value: "TYPE",
      help: "only referrers of this artifact type",
    },
    { name: "--tree", help: "list referrers of referrers, as a tree" },
    {
      name: "--depth",
      value: "N",
      help: "with --tree: how many levels (default 8)",
    },
  ],
  arity: [1, 1],
  async run(args, io) {
    if (boolFlag(args, "--tree")) return await tree(args, io);
    if (args.flags.has("--depth")) {
      throw new UsageError("--depth goes with --tree");
    }
    const ref = refArg(args.positional[0]);
    const client = clientFor(ref, args);
    const digest = ref.digest ?? (await client.headManifest()).digest;
    const artifactType = stringFlag(args, "--artifact-type");
    const index = await client.getReferrers(digest, { artifactType });
    if (args.flags.has("--json")) {
      printJson(io, index);
      return 0;
    }
    for (const d of index.manifests) {
      io.out(`${d.digest}  ${d.artifactType ?? d.mediaType}  ${d.size}\n`);
    }
    return 0;
  },
};
