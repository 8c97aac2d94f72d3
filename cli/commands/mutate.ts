// `dreg mutate SRC DST`: change an image's config and annotations (labels,
// env, entrypoint, cmd, working dir, user, ports, volumes, stop signal,
// created time, platform); no layer moves.

import type { Command } from "../common.ts";
import { concurrencyArg, TRANSFER_FLAGS } from "../common.ts";
import { listFlag, stringFlag, UsageError } from "../args.ts";
import {
  argvArg,
  keyValuesArg,
  printBuild,
  toggleArg,
  withStores,
  writing,
} from "./_build.ts";

/** What `--unset` clears, and the option it sets to null. */
const UNSET = {
  entrypoint: "entrypoint",
  cmd: "cmd",
  workdir: "workingDir",
  user: "user",
  "stop-signal": "stopSignal",
  created: "created",
} as const;

export const mutate: Command = {
  name: "mutate",
  args: "SRC DST",
  summary: "Change an image's labels, env, entrypoint and other config.",
  description:
    "Writes a new config and manifest for the image SRC names, at DST (which\n" +
    "may be SRC): no layer is uploaded again (another store gets only those\n" +
    "it lacks). From an index, every platform's image is changed and a new\n" +
    "index written. KEY=VALUE flags set a key and KEY- removes it (as\n" +
    "kubectl label does); --expose and --volume take VALUE, or VALUE- to\n" +
    "remove. --entrypoint and --cmd take a JSON array or words split on\n" +
    "spaces. --unset clears entrypoint, cmd, workdir, user, stop-signal or\n" +
    "created. --platform sets the platform the config declares (one image\n" +
    "only). SRC and DST name registries, layouts and archives as in copy.",
  examples: [
    "dreg mutate 127.0.0.1:5000/app:1 127.0.0.1:5000/app:1 --label org.opencontainers.image.version=1.0",
    'dreg mutate app:1 app:2 --env MODE=prod --env DEBUG- --entrypoint \'["/app","serve"]\' --unset cmd',
    "dreg mutate oci:./app-oci:1 oci:./app-oci:1-arm --platform linux/arm64",
    "dreg mutate app:1 app:1 --index-annotation org.opencontainers.image.source=https://example.com/app",
  ],
  flags: [
    {
      name: "--label",
      value: "KEY=VALUE",
      repeat: true,
      help: "set a label (KEY- removes it); repeatable",
    },
    {
      name: "--annotation",
      value: "KEY=VALUE",
      repeat: true,
      help: "set an annotation of the image manifest(s) (KEY- removes)",
    },
    {
      name: "--index-annotation",
      value: "KEY=VALUE",
      repeat: true,
      help: "set an annotation of the index itself (KEY- removes)",
    },
    {
      name: "--env",
      value: "KEY=VALUE",
      repeat: true,
      help: "set an environment variable (KEY- removes it)",
    },
    {
      name: "--entrypoint",
      value: "ARGS",
      help: "the entrypoint: JSON array or words",
    },
    { name: "--cmd", value: "ARGS", help: "the command: JSON array or words" },
    { name: "--workdir", value: "DIR", help: "the working directory" },
    { name: "--user", value: "USER", help: "the user (name, uid, uid:gid)" },
    {
      name: "--expose",
      value: "PORT[/PROTO]",
      repeat: true,
      help: "expose a port (PORT- stops exposing it)",
    },
    {
      name: "--volume",
      value: "PATH",
      repeat: true,
      help: "declare a volume (PATH- removes it)",
    },
    { name: "--stop-signal", value: "SIGNAL", help: "the stop signal" },
    {
      name: "--created",
      value: "TIME",
      help: "creation time: RFC 3339, seconds since 1970, or now",
    },
    {
      name: "--platform",
      value: "OS/ARCH[/VARIANT]",
      help: "set the platform the config declares",
    },
    {
      name: "--unset",
      value: "FIELD",
      repeat: true,
      help: "clear entrypoint|cmd|workdir|user|stop-signal|created",
    },
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.src,
    TRANSFER_FLAGS.dst,
  ],
  arity: [2, 2],
  async run(args, io) {
    const [src, dst] = args.positional;
    const changes: Record<string, unknown> = {
      labels: keyValuesArg(args, "--label"),
      annotations: keyValuesArg(args, "--annotation"),
      indexAnnotations: keyValuesArg(args, "--index-annotation"),
      env: keyValuesArg(args, "--env"),
      exposedPorts: toggleArg(args, "--expose"),
      volumes: toggleArg(args, "--volume"),
      workingDir: stringFlag(args, "--workdir"),
      user: stringFlag(args, "--user"),
      stopSignal: stringFlag(args, "--stop-signal"),
      setPlatform: stringFlag(args, "--platform"),
    };
    const entrypoint = stringFlag(args, "--entrypoint");
    if (entrypoint !== undefined) {
      changes.entrypoint = argvArg("--entrypoint", entrypoint);
    }
    const cmd = stringFlag(args, "--cmd");
    if (cmd !== undefined) changes.cmd = argvArg("--cmd", cmd);
    const created = stringFlag(args, "--created");
    if (created !== undefined) {
      changes.created = created === "now" ? new Date() : created;
    }
    for (const field of listFlag(args, "--unset")) {
      const key = UNSET[field as keyof typeof UNSET];
      if (key === undefined) {
        throw new UsageError(
          `--unset takes one of ${
            Object.keys(UNSET).join(", ")
          } (got "${field}")`,
        );
      }
      if (changes[key] !== undefined) {
        throw new UsageError(`--unset ${field} conflicts with setting it`);
      }
      changes[key] = null;
    }
    for (const k of Object.keys(changes)) {
      if (changes[k] === undefined) delete changes[k];
    }
    const n = concurrencyArg(args);
    const { mutate } = await import("../../lib/build/mutate.ts");
    const result = await writing(io, dst, (signal) =>
      withStores(
        args,
        src,
        dst,
        (source, target) =>
          mutate(source, target, {
            ...changes,
            ...(n !== undefined ? { concurrency: n } : {}),
            signal,
          }),
        { signal },
      ));
    printBuild(io, args, "Wrote", result);
    return 0;
  },
};
