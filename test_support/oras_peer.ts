/**
 * The ORAS Go peer (`test_support/oras_peer/main.go`), built offline in
 * GOPATH mode with Debian's `golang-go` and `golang-oras-oras-go-dev`
 * (`oras.land/oras-go` 1.x under `/usr/share/gocode/src`, with its
 * dependencies from the other `golang-*-dev` packages). The binary and Go's
 * build cache are kept under the system's temp directory, keyed by the
 * program's digest, so that only the first run pays for the build.
 * Private test support: not re-exported.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "@std/path/posix/join";
import { digestOf } from "../lib/ref/digest.ts";

const SOURCE = new URL("./oras_peer/main.go", import.meta.url).pathname;
const GOPATH = "/usr/share/gocode";
const ORAS_GO = `${GOPATH}/src/oras.land/oras-go/pkg/oras`;

/** Finds `go` on the PATH. */
function goBinary(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && existsSync(join(dir, "go"))) return join(dir, "go");
  }
  return undefined;
}

/**
 * Why the peer cannot be built on this machine (checked synchronously, for
 * a test's `ignore`), or `undefined` when it can be tried.
 *
 * @returns The reason, e.g. `"go is not installed (Debian: golang-go)"`.
 */
export function orasPeerUnavailable(): string | undefined {
  if (goBinary() === undefined) {
    return "go is not installed (Debian package golang-go)";
  }
  if (!existsSync(ORAS_GO)) {
    return `${ORAS_GO} is missing (Debian package golang-oras-oras-go-dev)`;
  }
  return undefined;
}

/**
 * Builds the peer (once per version of `main.go`) and returns the path of
 * the binary.
 *
 * @throws {Error} With Go's output when the build fails.
 */
export async function buildOrasPeer(): Promise<string> {
  const source = await readFile(SOURCE);
  const root = join(tmpdir(), "dreg-oras-peer");
  const bin = join(root, digestOf(source).slice(7, 23), "oras-peer");
  if (existsSync(bin)) return bin;
  await mkdir(join(root, "gocache"), { recursive: true });
  await mkdir(join(bin, ".."), { recursive: true });
  const temp = `${bin}.${crypto.randomUUID().slice(0, 8)}`;
  const out = await new Deno.Command(goBinary()!, {
    args: ["build", "-o", temp, SOURCE],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: root,
      GOPATH,
      GO111MODULE: "off",
      GOFLAGS: "",
      GOPROXY: "off",
      GOENV: "off",
      CGO_ENABLED: "0",
      GOCACHE: join(root, "gocache"),
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    await rm(temp, { force: true });
    const text = new TextDecoder().decode(out.stderr).slice(0, 4000);
    throw new Error(
      `Cannot build the ORAS Go peer offline (GOPATH=${GOPATH}, GO111MODULE=off): ${text}`,
    );
  }
  await rename(temp, bin);
  return bin;
}

/**
 * Runs the peer; returns its stdout (trimmed).
 *
 * @param bin The binary from {@linkcode buildOrasPeer}.
 * @param args `push REF DIR NAME...` or `pull REF DIR`.
 * @param home A directory for its (empty) docker config.
 * @throws {Error} With its stderr when it fails.
 */
export async function runOrasPeer(
  bin: string,
  args: string[],
  home: string,
): Promise<string> {
  const out = await new Deno.Command(bin, {
    args,
    env: { HOME: home, DOCKER_CONFIG: join(home, ".docker") },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`oras-peer ${args[0]} failed: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout).trim();
}
