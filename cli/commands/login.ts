// `dreg login HOST`: check credentials and save them where docker does.

import { parseIndex } from "../../lib/ref/reference.ts";
import { boolFlag, stringFlag, UsageError } from "../args.ts";
import type { Command } from "../common.ts";
import { printJson, registryClientFor } from "../common.ts";

export const login: Command = {
  name: "login",
  args: "HOST",
  summary: "Log in to a registry and save the credentials as docker does.",
  description:
    "Checks the credentials (a token, or a Basic check), then stores them in\n" +
    "docker's config ($DOCKER_CONFIG/config.json or ~/.docker/config.json) or\n" +
    "its credential helper, where later commands (and docker) find them.",
  examples: [
    "dreg login -u me -p secret http://127.0.0.1:5000",
    "echo secret | dreg login -u me --password-stdin registry.example.com",
  ],
  flags: [
    { name: "--no-save", help: "check the credentials only" },
  ],
  arity: [1, 1],
  async run(args, io) {
    // --password-stdin has set -p already (see global_flags.ts).
    const username = stringFlag(args, "--username");
    const password = stringFlag(args, "--password");
    if (username === undefined || password === undefined) {
      throw new UsageError(
        "login needs -u USER and -p PASS (or --password-stdin)",
      );
    }
    const host = args.positional[0];
    const client = registryClientFor(host, args);
    const result = await client.login({ scopes: [] });
    let saved: { stored: string; path?: string } | undefined;
    if (!boolFlag(args, "--no-save")) {
      const { saveDockerCredentials } = await import(
        "../../lib/credentials/save.ts"
      );
      saved = await saveDockerCredentials(parseIndex(host).name, {
        username,
        password,
      });
    }
    if (args.flags.has("--json")) {
      printJson(io, {
        registry: parseIndex(host).name,
        scheme: result.scheme,
        ...saved,
      });
      return 0;
    }
    io.out(
      `Login succeeded (${
        result.scheme === "none" ? "the registry is open" : result.scheme
      })${
        saved
          ? `; credentials saved to ${
            saved.stored === "file" ? saved.path : saved.stored
          }`
          : ""
      }\n`,
    );
    return 0;
  },
};
