// `dreg catalog HOST`: the registry's repositories.

import type { Command } from "../common.ts";
import { printJson, registryClientFor } from "../common.ts";

export const catalog: Command = {
  name: "catalog",
  args: "HOST",
  summary: "List the repositories of a registry (/v2/_catalog).",
  examples: [
    "dreg catalog http://127.0.0.1:5000",
    "dreg catalog -u me -p secret registry.example.com",
  ],
  flags: [],
  arity: [1, 1],
  async run(args, io) {
    const client = registryClientFor(args.positional[0], args);
    const list = await client.listCatalog();
    if (args.flags.has("--json")) printJson(io, list);
    else if (list.repositories.length) {
      io.out(list.repositories.join("\n") + "\n");
    }
    return 0;
  },
};
