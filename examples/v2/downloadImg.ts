#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env --allow-run --allow-write
// Usage: downloadImg.ts [-v] [-u USER -p PASS] [-k] [--platform OS/ARCH[/VARIANT]] REPO[:TAG|@DIGEST]
// Downloads a whole image into the current directory, as the earlier
// clients' downloadImg did: the manifest (<slug>.manifest, its exact bytes),
// the config (<slug>.config) and every layer (<slug>-<n>.<12 hex>.layer),
// each verified against its digest while it streams, with a progress bar per
// layer on a terminal. An index (multi-platform image) is followed to one
// platform: --platform, else linux/amd64 (what a registry serves a client
// that accepts no lists). <slug> is the name and tag (or digest), e.g.
// busybox-latest.

import { format as formatBytes } from "@std/fmt/bytes";
import type { Descriptor, RegistryClientV2 } from "../../mod.ts";
import {
  clientFor,
  COMMON_FLAGS,
  parseArgs,
  run,
  usageExit,
} from "./_common.ts";

const USAGE =
  `Usage: downloadImg.ts [-v] [-u USER -p PASS] [-k] [--platform OS/ARCH[/VARIANT]] REPO[:TAG|@DIGEST]
Downloads a whole image into the current directory: the manifest
(<slug>.manifest), the config (<slug>.config) and every layer
(<slug>-<n>.<12 hex>.layer), each verified against its digest, with a
progress bar per layer on a terminal. An index is followed to one platform:
--platform, else linux/amd64.
${COMMON_FLAGS}`;

/** How many layers download at once. */
const CONCURRENCY = 4;

/** One file to download, and how far it got. */
interface Task {
  descriptor: Descriptor;
  file: string;
  label: string;
  done: number;
  state: "waiting" | "running" | "done";
}

/** Per-layer bars on stderr, redrawn in place; finished lines go above. */
class Bars {
  readonly #tasks: Task[];
  readonly #tty: boolean;
  readonly #started = performance.now();
  #drawn = 0;
  readonly #encoder = new TextEncoder();

  constructor(tasks: Task[], tty: boolean) {
    this.#tasks = tasks;
    this.#tty = tty;
  }

  /** Prints a line on stdout, above the bars. */
  line(text: string): void {
    this.#clear();
    console.log(text);
    this.draw();
  }

  draw(): void {
    if (!this.#tty) return;
    this.#clear();
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(1);
    const lines = this.#tasks.filter((t) => t.state === "running").map((t) => {
      const total = t.descriptor.size;
      const ratio = total > 0 ? Math.min(1, t.done / total) : 1;
      const width = 30;
      const full = Math.round(ratio * width);
      return `[${"=".repeat(full)}${"-".repeat(width - full)}] ${t.label} ` +
        `${Math.floor(ratio * 100)}% ${seconds}s ` +
        `${formatBytes(t.done, { binary: true })}/${
          formatBytes(total, { binary: true })
        }`;
    });
    if (lines.length === 0) return;
    this.#write(lines.map((l) => `\x1b[2K${l}\n`).join(""));
    this.#drawn = lines.length;
  }

  #clear(): void {
    if (!this.#tty || this.#drawn === 0) return;
    // Up to the first bar's line, then erase to the end of the screen.
    this.#write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  #write(text: string): void {
    Deno.stderr.writeSync(this.#encoder.encode(text));
  }
}

/** Streams one blob into its file, counting bytes; no file on a failure. */
async function download(client: RegistryClientV2, task: Task): Promise<void> {
  const { digest, size } = task.descriptor;
  const { stream } = await client.createBlobReadStream(digest, { size });
  const file = await Deno.open(task.file, {
    write: true,
    create: true,
    truncate: true,
  });
  try {
    await stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          task.done += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    ).pipeTo(file.writable);
  } catch (err) {
    await Deno.remove(task.file).catch(() => {});
    throw err;
  }
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, USAGE, {
    min: 1,
    max: 1,
    valueFlags: ["--platform"],
  });
  const { parsePlatform, ParseError, isImageManifest } = await import(
    "../../mod.ts"
  );
  let platform;
  try {
    platform = parsePlatform(args.options.get("--platform") ?? "linux/amd64");
  } catch (err) {
    if (err instanceof ParseError) usageExit(USAGE);
    throw err;
  }
  await run(async () => {
    const client = clientFor(args.positional[0], args);
    const { repo } = client;
    console.log("Repo:", repo.canonicalName);
    const { manifest, digest, bytes } = await client.getManifest(undefined, {
      platform,
    });
    if (!isImageManifest(manifest)) {
      console.error(
        `error: ${repo.canonicalRef} is not an image manifest (schema 1 is not downloaded)`,
      );
      Deno.exit(1);
    }
    const hex12 = (d: string) => d.slice(d.indexOf(":") + 1).slice(0, 12);
    const slug = repo.localName.replace(/[^\w]+/g, "-") + "-" +
      (repo.tag ?? hex12(repo.digest!));
    await Deno.writeFile(`${slug}.manifest`, bytes);
    console.log("Wrote manifest:", `${slug}.manifest`);

    const tasks: Task[] = [
      {
        descriptor: manifest.config,
        file: `${slug}.config`,
        label: "config",
        done: 0,
        state: "waiting",
      },
      ...manifest.layers.map((layer, i): Task => ({
        descriptor: layer,
        file: `${slug}-${i + 1}.${hex12(layer.digest)}.layer`,
        label: hex12(layer.digest),
        done: 0,
        state: "waiting",
      })),
    ];
    // -v prints its own lines on stderr: no bars then.
    const bars = new Bars(
      tasks,
      Deno.stderr.isTerminal() && !args.flags.has("-v"),
    );
    const timer = setInterval(() => bars.draw(), 250);
    const layers = tasks.length - 1;
    try {
      let next = 0;
      const worker = async () => {
        while (next < tasks.length) {
          const task = tasks[next++];
          task.state = "running";
          await download(client, task);
          task.state = "done";
          const i = tasks.indexOf(task);
          bars.line(
            i === 0
              ? `Downloaded config: ${task.file}`
              : `Downloaded layer ${i} of ${layers}: ${task.file}`,
          );
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, worker),
      );
    } finally {
      clearInterval(timer);
      bars.draw();
    }
    const size = tasks.reduce((sum, t) => sum + t.done, 0);
    console.log(
      `Downloaded ${layers} layers (${
        formatBytes(size, { binary: true })
      }) into ${Deno.cwd()}`,
    );
    console.log("Digest:", digest);
  });
}
