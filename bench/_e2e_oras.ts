// The ORAS Go push program of bench/e2e.ts (`bench/oras_push/main.go`),
// built offline in GOPATH mode with Debian's `golang-go` and
// `golang-oras-oras-go-dev` (oras.land/oras-go 1.1 under /usr/share/gocode,
// its dependencies from the other golang-*-dev packages), as
// test_support/oras_peer.ts builds the artifact tests' peer. The binary and
// Go's build cache live under the system's temp directory, keyed by the
// program's digest, so only the first run pays for the build (about 25 s).
// Private helper.

import { createHash } from "node:crypto";
import { tmpdir } from "node:os";

const SOURCE = new URL("./oras_push/main.go", import.meta.url).pathname;
const GOPATH = "/usr/share/gocode";
const ORAS_GO = `${GOPATH}/src/oras.land/oras-go/pkg/oras`;

/** How the program is built (for the report). */
export const ORAS_BUILD_COMMAND =
  "GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off CGO_ENABLED=0 " +
  "go build -o oras-push bench/oras_push/main.go";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function goBinary(): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && await exists(`${dir}/go`)) return `${dir}/go`;
  }
  return undefined;
}

/**
 * Builds the program once per version of main.go.
 *
 * @returns The binary's path.
 * @throws {Error} Saying why it cannot be built (Go missing, oras-go
 *   missing, or Go's own error output).
 */
export async function buildOrasPush(): Promise<string> {
  const go = await goBinary();
  if (!go) throw new Error("go is not installed (Debian package golang-go)");
  if (!await exists(ORAS_GO)) {
    throw new Error(
      `${ORAS_GO} is missing (Debian package golang-oras-oras-go-dev)`,
    );
  }
  const source = await Deno.readFile(SOURCE);
  const key = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const root = `${tmpdir()}/dreg-bench-oras-push`;
  const bin = `${root}/${key}/oras-push`;
  if (await exists(bin)) return bin;
  await Deno.mkdir(`${root}/${key}`, { recursive: true });
  await Deno.mkdir(`${root}/gocache`, { recursive: true });
  const temp = `${bin}.${crypto.randomUUID().slice(0, 8)}`;
  const out = await new Deno.Command(go, {
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
      GOCACHE: `${root}/gocache`,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    await Deno.remove(temp).catch(() => {});
    const text = new TextDecoder().decode(out.stderr).trim().slice(0, 600);
    throw new Error(`go build failed (GOPATH mode, offline): ${text}`);
  }
  await Deno.rename(temp, bin);
  return bin;
}
