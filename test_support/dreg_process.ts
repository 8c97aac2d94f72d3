/**
 * Real `dreg` processes for the disk tests and `bench/disk.ts`: images
 * seeded into the fake registry, `dreg` spawned as a child (`deno run -A
 * cli.ts …`, credentials looked up only in an empty home), a registry
 * front that sends chosen blobs slowly (so a test can signal or kill a pull
 * while it writes), and a look at what a layout holds.
 *
 * Private test support: not re-exported.
 *
 * @module
 */

import { MEDIA_TYPE } from "../lib/ref/media_types.ts";
import type { FakeRegistry } from "../lib/testing/fake_registry.ts";

const dec = new TextDecoder();

/** The repository's `cli.ts`. */
export const CLI: string = new URL("../cli.ts", import.meta.url).pathname;

/** A seeded image. */
export interface SeededImage {
  /** `127.0.0.1:PORT/repo:tag`. */
  ref: string;
  /** The manifest's digest. */
  digest: string;
  /** The layers' digests, in order. */
  layers: string[];
  /** The config's digest. */
  config: string;
}

/** Bytes that differ for each seed (cheap: one random block repeated). */
export function patterned(size: number, seed: number): Uint8Array {
  const block = new Uint8Array(Math.min(size, 64 * 1024));
  crypto.getRandomValues(block);
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += block.length) {
    out.set(block.subarray(0, Math.min(block.length, size - at)), at);
  }
  if (size >= 8) new DataView(out.buffer).setFloat64(0, seed);
  return out;
}

/**
 * Seeds an OCI image of layers of the given sizes (or given bytes) into
 * `registry`, tagged `tag`.
 */
export function seedImage(
  registry: FakeRegistry,
  repo: string,
  tag: string,
  layers: (number | Uint8Array)[],
): SeededImage {
  const layerDescs = layers.map((l, i) => {
    const bytes = typeof l === "number" ? patterned(l, i + Math.random()) : l;
    return {
      mediaType: MEDIA_TYPE.OCI_LAYER,
      digest: registry.seedBlob(repo, bytes),
      size: bytes.byteLength,
    };
  });
  const configBytes = new TextEncoder().encode(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: layerDescs.map((d) => d.digest) },
    tag,
  }));
  const config = registry.seedBlob(repo, configBytes);
  const digest = registry.seedManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE.OCI_CONFIG,
      digest: config,
      size: configBytes.byteLength,
    },
    layers: layerDescs,
  });
  return {
    ref: `${registry.host}/${repo}:${tag}`,
    digest,
    layers: layerDescs.map((d) => d.digest),
    config,
  };
}

/** What a `dreg` process did. */
export interface DregResult {
  /** Its exit code. */
  code: number;
  /** The signal that killed it, if one did (then it did not exit itself). */
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode spawnDreg}. */
export interface DregOptions {
  /** An empty directory for credentials lookups. */
  home: string;
  /** The `cli.ts` to run (another checkout's, to compare). */
  cli?: string;
}

/** A running `dreg`. */
export interface DregChild {
  /** The process. */
  process: Deno.ChildProcess;
  /** Its result, once it ends. */
  result: Promise<DregResult>;
}

/** Starts `dreg ARGS…` as a child process. */
export function spawnDreg(args: string[], options: DregOptions): DregChild {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", options.cli ?? CLI, ...args],
    env: {
      DOCKER_CONFIG: `${options.home}/docker`,
      REGISTRY_AUTH_FILE: `${options.home}/containers-auth.json`,
      XDG_RUNTIME_DIR: `${options.home}/run`,
      XDG_CONFIG_HOME: `${options.home}/config`,
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const result = child.output().then((out) => ({
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  }));
  return { process: child, result };
}

/** Runs `dreg ARGS…` to its end. */
export function dreg(
  args: string[],
  options: DregOptions,
): Promise<DregResult> {
  return spawnDreg(args, options).result;
}

/**
 * A front for `registry` on another loopback port that relays every
 * request, and sends the bodies of blob `GET`s matching `slow` at about
 * `bytesPerTick` every 20 ms.
 */
export function slowFront(
  registry: FakeRegistry,
  slow: (digest: string) => boolean,
  bytesPerTick = 16 * 1024,
): { host: string; close(): Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const headers = new Headers(req.headers);
      headers.delete("host");
      const upstream = await fetch(
        `${registry.url}${url.pathname}${url.search}`,
        { method: req.method, headers, body: req.body, redirect: "manual" },
      );
      const digest = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname)?.[1];
      if (req.method !== "GET" || !digest || !slow(digest) || !upstream.body) {
        return upstream;
      }
      const bytes = new Uint8Array(await upstream.arrayBuffer());
      let at = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) =>
          new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              const end = Math.min(bytes.length, at + bytesPerTick);
              controller.enqueue(bytes.slice(at, end));
              at = end;
              if (at >= bytes.length) controller.close();
              resolve();
            }, 20);
          }),
        cancel: () => clearTimeout(timer),
      });
      return new Response(body, {
        status: upstream.status,
        headers: upstream.headers,
      });
    },
  );
  return {
    host: `127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** The names in `dir` that are temporary files of ours (`.tmp-…`). */
export async function tempFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(".tmp-")) out.push(e.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** The tags `index.json` lists, or `undefined` when it is not valid JSON. */
export async function layoutTags(dir: string): Promise<string[] | undefined> {
  try {
    const index = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
    return (index.manifests as { annotations?: Record<string, string> }[])
      .map((m) => m.annotations?.["org.opencontainers.image.ref.name"])
      .filter((t): t is string => t !== undefined)
      .sort();
  } catch {
    return undefined;
  }
}

/** Waits until `check` holds, polling every 10 ms (up to `timeoutMs`). */
export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
