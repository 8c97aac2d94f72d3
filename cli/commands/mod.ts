// Every subcommand, in the order `dreg --help` lists them: its name and
// summary here, its module loaded only when it runs (or shows its help), so
// that starting `dreg tags` does not load the code of twenty other commands.
// The three quick queries (tags, manifest, digest) are the exception: their
// modules are a few hundred bytes over code every command loads anyway,
// while a lazy import costs ~1.5 ms of a ~60 ms `dreg tags` installed from
// JSR (Deno builds a second module graph for it).

import type { Command } from "../common.ts";
import { digest } from "./digest.ts";
import { manifest } from "./manifest.ts";
import { tags } from "./tags.ts";

/** A command as the top-level help lists it, and how to load it. */
export interface CommandEntry {
  /** Its name: `tags`. */
  name: string;
  /** One line of what it does (the same as the loaded command's). */
  summary: string;
  /** Loads the command. */
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "tags",
    summary: "List the tags of a repository.",
    load: () => Promise.resolve(tags),
  },
  {
    name: "manifest",
    summary: "Print a manifest, byte for byte (verified against its digest).",
    load: () => Promise.resolve(manifest),
  },
  {
    name: "digest",
    summary: "Print the digest of a manifest.",
    load: () => Promise.resolve(digest),
  },
  {
    name: "config",
    summary: "Print an image's config, byte for byte (verified).",
    load: async () => (await import("./config.ts")).config,
  },
  {
    name: "platforms",
    summary: "List the platforms of an image (index entries, or the config's).",
    load: async () => (await import("./platforms.ts")).platforms,
  },
  {
    name: "referrers",
    summary: "List the referrers of a manifest (signatures, SBOMs, ...).",
    load: async () => (await import("./referrers.ts")).referrers,
  },
  {
    name: "signatures",
    summary:
      "List an image's signatures, attestations and SBOMs (cosign, Notary).",
    load: async () => (await import("./signatures.ts")).signatures,
  },
  {
    name: "artifact",
    summary:
      "Push files as an OCI artifact (as oras does), or pull one into a directory.",
    load: async () => (await import("./artifact.ts")).artifact,
  },
  {
    name: "pull",
    summary: "Pull an image into an OCI image layout directory.",
    load: async () => (await import("./pull.ts")).pull,
  },
  {
    name: "push",
    summary: "Push an image from an OCI image layout directory.",
    load: async () => (await import("./push.ts")).push,
  },
  {
    name: "copy",
    summary: "Copy an image between registries, layouts and archives.",
    load: async () => (await import("./copy.ts")).copy,
  },
  {
    name: "sync",
    summary: "Mirror repositories or a registry, incrementally.",
    load: async () => (await import("./sync.ts")).sync,
  },
  {
    name: "append",
    summary: "Add layers of files to an image, or make one from scratch.",
    load: async () => (await import("./append.ts")).append,
  },
  {
    name: "mutate",
    summary: "Change an image's labels, env, entrypoint and other config.",
    load: async () => (await import("./mutate.ts")).mutate,
  },
  {
    name: "flatten",
    summary: "Squash an image's layers into one.",
    load: async () => (await import("./flatten.ts")).flatten,
  },
  {
    name: "export",
    summary: "Write an image's merged filesystem as a tar.",
    load: async () => (await import("./export.ts")).exportCommand,
  },
  {
    name: "index",
    summary: "Create a multi-platform index, or add and remove its entries.",
    load: async () => (await import("./index.ts")).index,
  },
  {
    name: "tag",
    summary: "Add tags to an image or index, moving no blob.",
    load: async () => (await import("./tag.ts")).tag,
  },
  {
    name: "validate",
    summary: "Check every manifest and blob of an image is there and intact.",
    load: async () => (await import("./validate.ts")).validate,
  },
  {
    name: "blob",
    summary: "Stream one blob out of a store (verified) or into one.",
    load: async () => (await import("./blob.ts")).blob,
  },
  {
    name: "delete",
    summary: "Delete a manifest by digest or tag.",
    load: async () => (await import("./delete.ts")).del,
  },
  {
    name: "catalog",
    summary: "List the repositories of a registry (/v2/_catalog).",
    load: async () => (await import("./catalog.ts")).catalog,
  },
  {
    name: "login",
    summary: "Log in to a registry and save the credentials as docker does.",
    load: async () => (await import("./login.ts")).login,
  },
  {
    name: "logout",
    summary: "Remove a registry's saved credentials, as docker logout does.",
    load: async () => (await import("./logout.ts")).logout,
  },
];
