// The contestants of bench/e2e.ts: how each tool does each operation, and
// how its result is checked. Private helper.
//
// Every run gets a fresh scratch directory. skopeo gets a fresh blob-info
// cache per run (see skopeoEnv), so no tool profits from state an earlier
// run left behind.

import type { RealRegistry } from "../test_support/real_registry.ts";
import { type BenchImage, verifyLayout } from "./_e2e_layout.ts";
import type { Invocation, ProcessStats } from "./_e2e_measure.ts";
import { registryManifestDigest } from "./_e2e_seed.ts";
import { CLI_RUN_FLAGS } from "../cli/run_flags.ts";

/** The operations timed. */
export type Op = "pull" | "push" | "tags" | "manifest";
/** All of them, in report order. */
export const OPS: readonly Op[] = ["pull", "push", "tags", "manifest"];

/** The tools. */
export type ToolId = "ours" | "skopeo" | "npm" | "curl" | "deno";
/** All of them, in report order. */
export const TOOLS: readonly ToolId[] = [
  "ours",
  "skopeo",
  "npm",
  "curl",
  "deno",
];

/** How each tool is named in the report. */
export const TOOL_LABEL: Record<ToolId, string> = {
  ours: "this project (CLI)",
  skopeo: "skopeo",
  npm: "npm docker-registry-client",
  curl: "curl (+ sha256sum) (limit)",
  deno: "deno + one fetch (start-up floor)",
};

/** Which tools take part in which operation. */
export const OP_TOOLS: Record<Op, readonly ToolId[]> = {
  pull: ["ours", "skopeo", "npm", "curl"],
  push: ["ours", "skopeo"],
  tags: ["ours", "skopeo", "npm", "curl", "deno"],
  manifest: ["ours", "skopeo", "npm", "curl", "deno"],
};

/** What every run of one mode shares. */
export interface ModeContext {
  /** The registry. */
  reg: RealRegistry;
  /** The benchmark image (its layout is the push source). */
  image: BenchImage;
  /** The repository holding the image under `image.tag`. */
  imageRepo: string;
  /** The repository with many tags. */
  tagsRepo: string;
  /** Its tags. */
  tags: string[];
  /** Path of cli.ts. */
  cli: string;
  /** Directory of the Node driver (with node_modules). */
  npmDriverDir: string;
  /** Path of the Deno floor script (bench/_e2e_fetch.ts). */
  denoFetch: string;
}

/** One prepared run. */
export interface PreparedRun {
  /** The command. */
  inv: Invocation;
  /** Throws when the run's result is wrong. */
  check(stats: ProcessStats): Promise<void>;
}

const BASH_CURL_AUTH = `
auth=()
if [ -n "$REALM" ]; then
  token=$(curl -fsS -u "$CREDS" "$REALM?service=$SERVICE&scope=repository:$REPO:pull" |
    sed -n 's/.*"token":"\\([^"]*\\)".*/\\1/p')
  [ -n "$token" ] || { echo "no token" >&2; exit 1; }
  auth=(-H "Authorization: Bearer $token")
fi
`;

const ACCEPT_MANIFEST = "Accept: application/vnd.oci.image.manifest.v1+json";

/**
 * Pull with curl: (token,) manifest (its Docker-Content-Digest checked),
 * then every blob it names at once, each `curl | tee FILE | sha256sum` and
 * compared with its digest.
 */
const CURL_PULL = `set -euo pipefail
${BASH_CURL_AUTH}
blobs="$DIR/blobs/sha256"
mkdir -p "$blobs"
curl -fsS "\${auth[@]}" -H '${ACCEPT_MANIFEST}' -D "$DIR/headers" \\
  -o "$DIR/manifest" "$URL/v2/$REPO/manifests/$TAG"
want=$(sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *\\(sha256:[0-9a-f]*\\).*/\\1/p' "$DIR/headers")
got=sha256:$(sha256sum < "$DIR/manifest" | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "manifest: $got, expected $want" >&2; exit 1; }
mv "$DIR/manifest" "$blobs/\${got#sha256:}"
pids=()
for d in $(grep -o 'sha256:[0-9a-f]\\{64\\}' "$blobs/\${got#sha256:}"); do
  (
    h=$(curl -fsS "\${auth[@]}" "$URL/v2/$REPO/blobs/$d" |
      tee "$blobs/\${d#sha256:}" | sha256sum | cut -d' ' -f1)
    [ "sha256:$h" = "$d" ] || { echo "blob $d: sha256:$h" >&2; exit 1; }
  ) &
  pids+=($!)
done
for p in "\${pids[@]}"; do wait "$p"; done
`;

const CURL_TAGS = `set -euo pipefail
${BASH_CURL_AUTH}
curl -fsS "\${auth[@]}" "$URL/v2/$REPO/tags/list"
`;

const CURL_MANIFEST = `set -euo pipefail
${BASH_CURL_AUTH}
curl -fsS "\${auth[@]}" -H '${ACCEPT_MANIFEST}' "$URL/v2/$REPO/manifests/$TAG"
`;

function curlEnv(
  ctx: ModeContext,
  repo: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const ts = ctx.reg.tokenServer;
  return {
    URL: ctx.reg.url,
    REPO: repo,
    REALM: ts?.url ?? "",
    SERVICE: ts?.service ?? "",
    CREDS: ts ? `${ctx.reg.username}:${ctx.reg.password}` : "",
    ...extra,
  };
}

/**
 * skopeo's environment: its own auth file, and a blob-info cache of its own
 * per run. As root skopeo keeps that cache in /var/lib/containers/cache,
 * shared with everything else, and would mount blobs it saw before from
 * another repository instead of uploading them; `_CONTAINERS_ROOTLESS_UID`
 * makes containers/image treat the caller as rootless, and so keep the
 * cache under `$XDG_DATA_HOME`, here the run's scratch directory.
 */
function skopeoEnv(scratch: string): Record<string, string> {
  return {
    REGISTRY_AUTH_FILE: `${scratch}/skopeo-auth.json`,
    _CONTAINERS_ROOTLESS_UID: "1000",
    XDG_DATA_HOME: `${scratch}/xdg-data`,
    XDG_CONFIG_HOME: `${scratch}/xdg-config`,
    TMPDIR: scratch,
  };
}

function skopeoCreds(ctx: ModeContext, flag: string): string[] {
  return ctx.reg.mode === "anonymous"
    ? []
    : [flag, `${ctx.reg.username}:${ctx.reg.password}`];
}

function oursArgs(ctx: ModeContext, args: string[]): string[] {
  const creds = ctx.reg.mode === "anonymous"
    ? []
    : ["-u", ctx.reg.username!, "-p", ctx.reg.password!];
  return ["run", ...CLI_RUN_FLAGS, ctx.cli, ...args, "--insecure", ...creds];
}

function npmEnv(ctx: ModeContext): Record<string, string> {
  return ctx.reg.mode === "anonymous" ? {} : {
    DRC_USERNAME: ctx.reg.username!,
    DRC_PASSWORD: ctx.reg.password!,
  };
}

function expectOutput(what: string, stats: ProcessStats, needle: string) {
  if (!stats.stdout.includes(needle)) {
    throw new Error(
      `${what}: output lacks ${needle}: ${stats.stdout.slice(0, 300)}`,
    );
  }
}

/**
 * Prepares one run of `tool` doing `op`.
 *
 * @param scratch A fresh, empty directory for this run.
 * @param runName Unique per run of this mode (names push repositories).
 */
export function prepareRun(
  ctx: ModeContext,
  op: Op,
  tool: ToolId,
  scratch: string,
  runName: string,
): PreparedRun {
  const { reg, image } = ctx;
  const imageRef = `${reg.host}/${ctx.imageRepo}:${image.tag}`;
  const tagsRef = `${reg.host}/${ctx.tagsRepo}`;
  const deno = Deno.execPath();
  const node = "node";
  const driver = `${ctx.npmDriverDir}/driver.mjs`;
  const out = `${scratch}/out`;
  const lastTag = ctx.tags[ctx.tags.length - 1];
  const checkPulled = (blobsOnly = false) => async () => {
    await verifyLayout(out, image, { blobsOnly });
  };
  const tagsCheck = (stats: ProcessStats) => {
    expectOutput("tags", stats, ctx.tags[0]);
    expectOutput("tags", stats, lastTag);
    return Promise.resolve();
  };
  const manifestCheck = (stats: ProcessStats) => {
    expectOutput("manifest", stats, image.config.digest);
    return Promise.resolve();
  };
  const npmManifestCheck = (stats: ProcessStats) => {
    expectOutput("manifest", stats, image.manifest.digest);
    return Promise.resolve();
  };
  switch (op) {
    case "pull":
      switch (tool) {
        case "ours":
          return {
            inv: { cmd: deno, args: oursArgs(ctx, ["pull", imageRef, out]) },
            check: checkPulled(),
          };
        case "skopeo":
          return {
            inv: {
              cmd: "skopeo",
              args: [
                "--insecure-policy",
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                ...skopeoCreds(ctx, "--src-creds"),
                `docker://${imageRef}`,
                `oci:${out}:${image.tag}`,
              ],
              env: skopeoEnv(scratch),
            },
            check: checkPulled(),
          };
        case "npm":
          return {
            inv: {
              cmd: node,
              args: [
                driver,
                "pull",
                `${reg.host}/${ctx.imageRepo}`,
                image.tag,
                out,
              ],
              env: npmEnv(ctx),
            },
            check: checkPulled(),
          };
        case "curl":
          return {
            inv: {
              cmd: "bash",
              args: ["-c", CURL_PULL],
              env: curlEnv(ctx, ctx.imageRepo, { TAG: image.tag, DIR: out }),
            },
            check: checkPulled(true),
          };
      }
      break;
    case "push": {
      const repo = `bench/push-${tool}-${runName}`;
      const check = async () => {
        const got = await registryManifestDigest(reg, repo, image.tag);
        if (got !== image.manifest.digest) {
          throw new Error(
            `${repo}:${image.tag} is ${got}, expected ${image.manifest.digest}`,
          );
        }
      };
      const dest = `${reg.host}/${repo}:${image.tag}`;
      switch (tool) {
        case "ours":
          return {
            inv: {
              cmd: deno,
              args: oursArgs(ctx, ["push", `${image.dir}:${image.tag}`, dest]),
            },
            check,
          };
        case "skopeo":
          return {
            inv: {
              cmd: "skopeo",
              args: [
                "--insecure-policy",
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                ...skopeoCreds(ctx, "--dest-creds"),
                `oci:${image.dir}:${image.tag}`,
                `docker://${dest}`,
              ],
              env: skopeoEnv(scratch),
            },
            check,
          };
      }
      break;
    }
    case "tags":
      switch (tool) {
        case "ours":
          return {
            inv: { cmd: deno, args: oursArgs(ctx, ["tags", tagsRef]) },
            check: tagsCheck,
          };
        case "skopeo":
          return {
            inv: {
              cmd: "skopeo",
              args: [
                "--insecure-policy",
                "list-tags",
                "--tls-verify=false",
                ...skopeoCreds(ctx, "--creds"),
                `docker://${tagsRef}`,
              ],
              env: skopeoEnv(scratch),
            },
            check: tagsCheck,
          };
        case "npm":
          return {
            inv: {
              cmd: node,
              args: [driver, "tags", tagsRef],
              env: npmEnv(ctx),
            },
            check: tagsCheck,
          };
        case "curl":
          return {
            inv: {
              cmd: "bash",
              args: ["-c", CURL_TAGS],
              env: curlEnv(ctx, ctx.tagsRepo),
            },
            check: tagsCheck,
          };
        case "deno":
          return {
            inv: {
              cmd: deno,
              args: ["run", "-A", ctx.denoFetch, "tags"],
              env: curlEnv(ctx, ctx.tagsRepo),
            },
            check: tagsCheck,
          };
      }
      break;
    case "manifest":
      switch (tool) {
        case "ours":
          return {
            inv: { cmd: deno, args: oursArgs(ctx, ["manifest", imageRef]) },
            check: manifestCheck,
          };
        case "skopeo":
          return {
            inv: {
              cmd: "skopeo",
              args: [
                "--insecure-policy",
                "inspect",
                "--raw",
                "--tls-verify=false",
                ...skopeoCreds(ctx, "--creds"),
                `docker://${imageRef}`,
              ],
              env: skopeoEnv(scratch),
            },
            check: manifestCheck,
          };
        case "npm":
          return {
            inv: {
              cmd: node,
              args: [
                driver,
                "manifest",
                `${reg.host}/${ctx.imageRepo}`,
                image.tag,
              ],
              env: npmEnv(ctx),
            },
            check: npmManifestCheck,
          };
        case "curl":
          return {
            inv: {
              cmd: "bash",
              args: ["-c", CURL_MANIFEST],
              env: curlEnv(ctx, ctx.imageRepo, { TAG: image.tag }),
            },
            check: manifestCheck,
          };
        case "deno":
          return {
            inv: {
              cmd: deno,
              args: ["run", "-A", ctx.denoFetch, "manifest"],
              env: curlEnv(ctx, ctx.imageRepo, { TAG: image.tag }),
            },
            check: manifestCheck,
          };
      }
      break;
  }
  throw new Error(`${tool} does not take part in ${op}`);
}
