// `dreg logout HOST`: remove the saved credentials, as docker logout does.

import { ParseError } from "../../lib/errors.ts";
import { parseIndex } from "../../lib/ref/reference.ts";
import { UsageError } from "../args.ts";
import type { Command } from "../common.ts";
import { printJson } from "../common.ts";

export const logout: Command = {
  name: "logout",
  args: "HOST",
  summary: "Remove a registry's saved credentials, as docker logout does.",
  description:
    "Asks the credential helper docker's config names for the registry to\n" +
    "erase them (docker-credential-NAME erase), and removes the registry's\n" +
    "entries from docker's config ($DOCKER_CONFIG/config.json or\n" +
    "~/.docker/config.json) and from podman's auth.json files.",
  examples: [
    "dreg logout 127.0.0.1:5000",
    "dreg logout docker.io",
  ],
  flags: [],
  arity: [1, 1],
  async run(args, io) {
    let registry: string;
    try {
      registry = parseIndex(args.positional[0]).name;
    } catch (err) {
      if (err instanceof ParseError) {
        throw new UsageError(`invalid registry: ${err.message}`);
      }
      throw err;
    }
    const { removeDockerCredentials } = await import(
      "../../lib/credentials/save.ts"
    );
    const { removed } = await removeDockerCredentials(registry);
    if (args.flags.has("--json")) {
      printJson(io, { registry, removed });
    } else if (removed.length === 0) {
      io.out(`Not logged in to ${registry}: no credentials saved\n`);
    } else {
      io.out(
        `Removed the credentials for ${registry} from ${removed.join(", ")}\n`,
      );
    }
    return 0;
  },
};
