// `dreg tags REF`: the repository's tags, across pages.

import type { Command } from "../common.ts";
import { clientFor, printJson, refArg } from "../common.ts";

export const tags: Command = {
  name: "tags",
  args: "REF",
  summary: "List the tags of a repository.",
  examples: [
    "dreg tags http://127.0.0.1:5000/foo",
    "dreg tags --json quay.io/coreos/etcd",
  ],
  flags: [],
  arity: [1, 1],
  async run(args, io) {
    const client = clientFor(refArg(args.positional[0]), args);
    const list = await client.listTags();
    if (args.flags.has("--json")) printJson(io, list);
    else if (list.tags.length) io.out(list.tags.join("\n") + "\n");
    return 0;
  },
};
