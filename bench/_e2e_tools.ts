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

/** The operations timed. */
export type Op =
  | "pull"
  | "push"
  | "re-push"
  | "push-small"
  | "copy"
  | "tags"
  | "manifest"
  | "memory";
/** All of them, in report order. */
export const OPS: readonly Op[] = [
  "pull",
  "push",
  "re-push",
  "push-small",
  "copy",
  "tags",
  "manifest",
  "memory",
];

/** The tools. */
export type ToolId =
  | "ours"
  | "skopeo"
  | "oras"
  | "npm"
  | "curl"
  | "deno"
  | "floor";
/** All of them, in report order. */
export const TOOLS: readonly ToolId[] = [
  "ours",
  "skopeo",
  "oras",
  "npm",
  "curl",
  "deno",
  "floor",
];

/** How each tool is named in the report. */
export const TOOL_LABEL: Record<ToolId, string> = {
  ours: "this project (CLI)",
  skopeo: "skopeo",
  oras: "ORAS Go (oras-go 1.1 program)",
  npm: "npm docker-registry-client",
  curl: "curl (+ sha256sum) (limit)",
  deno: "deno + one fetch (start-up floor)",
  floor: "disk + hash floor (cat | openssl dgst)",
};

/** Which tools take part in which operation (`memory` runs this project only). */
export const OP_TOOLS: Record<Op, readonly ToolId[]> = {
  pull: ["ours", "skopeo", "npm", "curl", "floor"],
  push: ["ours", "skopeo"],
  "re-push": ["ours", "skopeo"],
  "push-small": ["ours", "skopeo", "oras"],
  copy: ["ours", "skopeo"],
  tags: ["ours", "skopeo", "npm", "curl", "deno"],
  manifest: ["ours", "skopeo", "npm", "curl", "deno"],
  memory: ["ours"],
};

/** What every run of one mode shares. */
export interface ModeContext {
  /** The registry (source of pulls and copies, target of pushes). */
  reg: RealRegistry;
  /** A second registry of the same mode: the destination of copies. */
  dest: RealRegistry;
  /** The benchmark image (its layout is the push source). */
  image: BenchImage;
  /** The repository holding the image under `image.tag`, on `reg`. */
  imageRepo: string;
  /** The many-small-layers image (its layout is the push-small source). */
  small?: BenchImage;
  /** The repository with many tags. */
  tagsRepo: string;
  /** Its tags. */
  tags: string[];
  /** Path of the cli.ts to run as "ours". */
  cli: string;
  /** `deno run` arguments before cli.ts (permissions, V8 flags). */
  runFlags: readonly string[];
  /** Environment of "ours" (an installed `dreg`: JSR_URL, DENO_DIR). */
  env?: Record<string, string>;
  /** Directory of the Node driver (with node_modules). */
  npmDriverDir: string;
  /** Path of the Deno floor script (bench/_e2e_fetch.ts). */
  denoFetch: string;
  /** Path of the ORAS Go push program, when it was built. */
  orasPush?: string;
}

/** One prepared run. */
export interface PreparedRun {
  /** The command. */
  inv: Invocation;
  /** Throws when the run's result is wrong. */
  check(stats: ProcessStats): Promise<void>;
}

/** Where distribution's filesystem driver keeps a blob's bytes. */
export function registryBlobPath(reg: RealRegistry, digest: string): string {
  const hex = digest.slice("sha256:".length);
  return `${reg.dir}/data/docker/registry/v2/blobs/sha256/${
    hex.slice(0, 2)
  }/${hex}/data`;
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

/**
 * The floor of a pull: every blob file of the image in the registry's own
 * storage (manifest, config, layers), all at once, each `cat FILE | openssl
 * dgst -sha256` and compared with its digest. Reading the registry's disk
 * and hashing, with no HTTP, no write and no start-up of a client. BLOBS
 * holds `HEX PATH` lines.
 */
const FLOOR_PULL = `set -euo pipefail
pids=()
while read -r hex path; do
  (
    h=$(cat "$path" | openssl dgst -sha256 -r | cut -d' ' -f1)
    [ "$h" = "$hex" ] || { echo "blob $hex: $h" >&2; exit 1; }
  ) &
  pids+=($!)
done <<< "$BLOBS"
for p in "\${pids[@]}"; do wait "$p"; done
echo "hashed \${#pids[@]} blobs"
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

/** `deno run … cli.ts ARGS --insecure [-u U -p P]` (-u/-p serve both sides of a copy). */
function ours(ctx: ModeContext, args: string[]): Invocation {
  const creds = ctx.reg.mode === "anonymous"
    ? []
    : ["-u", ctx.reg.username!, "-p", ctx.reg.password!];
  return {
    cmd: Deno.execPath(),
    args: ["run", ...ctx.runFlags, ctx.cli, ...args, "--insecure", ...creds],
    env: ctx.env,
  };
}

function skopeo(
  scratch: string,
  args: string[],
): Invocation {
  return {
    cmd: "skopeo",
    args: ["--insecure-policy", ...args],
    env: skopeoEnv(scratch),
  };
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

/** Throws unless `reg` serves `image`'s manifest under `repo:tag`. */
function pushedCheck(
  reg: RealRegistry,
  repo: string,
  image: BenchImage,
): () => Promise<void> {
  return async () => {
    const got = await registryManifestDigest(reg, repo, image.tag);
    if (got !== image.manifest.digest) {
      throw new Error(
        `${repo}:${image.tag} is ${got}, expected ${image.manifest.digest}`,
      );
    }
  };
}

function pullRun(
  ctx: ModeContext,
  tool: ToolId,
  scratch: string,
): PreparedRun | undefined {
  const { reg, image } = ctx;
  const imageRef = `${reg.host}/${ctx.imageRepo}:${image.tag}`;
  const out = `${scratch}/out`;
  const check = (blobsOnly = false) => async () => {
    await verifyLayout(out, image, { blobsOnly });
  };
  switch (tool) {
    case "ours":
      return { inv: ours(ctx, ["pull", imageRef, out]), check: check() };
    case "skopeo":
      return {
        inv: skopeo(scratch, [
          "copy",
          "--quiet",
          "--src-tls-verify=false",
          ...skopeoCreds(ctx, "--src-creds"),
          `docker://${imageRef}`,
          `oci:${out}:${image.tag}`,
        ]),
        check: check(),
      };
    case "npm":
      return {
        inv: {
          cmd: "node",
          args: [
            `${ctx.npmDriverDir}/driver.mjs`,
            "pull",
            `${reg.host}/${ctx.imageRepo}`,
            image.tag,
            out,
          ],
          env: npmEnv(ctx),
        },
        check: check(),
      };
    case "curl":
      return {
        inv: {
          cmd: "bash",
          args: ["-c", CURL_PULL],
          env: curlEnv(ctx, ctx.imageRepo, { TAG: image.tag, DIR: out }),
        },
        check: check(true),
      };
    case "floor": {
      const digests = [
        image.manifest.digest,
        image.config.digest,
        ...image.layers.map((l) => l.digest),
      ];
      const lines = digests.map((d) =>
        `${d.slice("sha256:".length)} ${registryBlobPath(reg, d)}`
      );
      return {
        inv: {
          cmd: "bash",
          args: ["-c", FLOOR_PULL],
          env: { BLOBS: lines.join("\n") },
        },
        check: (stats) => {
          expectOutput("floor", stats, `hashed ${digests.length} blobs`);
          return Promise.resolve();
        },
      };
    }
  }
}

/** A push of `image`'s layout to `repo` on `ctx.reg`. */
function pushRun(
  ctx: ModeContext,
  tool: ToolId,
  scratch: string,
  image: BenchImage,
  repo: string,
): PreparedRun | undefined {
  const dest = `${ctx.reg.host}/${repo}:${image.tag}`;
  const check = pushedCheck(ctx.reg, repo, image);
  switch (tool) {
    case "ours":
      return {
        inv: ours(ctx, ["push", `${image.dir}:${image.tag}`, dest]),
        check,
      };
    case "skopeo":
      return {
        inv: skopeo(scratch, [
          "copy",
          "--quiet",
          "--dest-tls-verify=false",
          ...skopeoCreds(ctx, "--dest-creds"),
          `oci:${image.dir}:${image.tag}`,
          `docker://${dest}`,
        ]),
        check,
      };
    case "oras": {
      if (!ctx.orasPush) throw new Error("the ORAS Go program was not built");
      const creds: Record<string, string> = ctx.reg.mode === "anonymous"
        ? {}
        : {
          ORAS_USERNAME: ctx.reg.username!,
          ORAS_PASSWORD: ctx.reg.password!,
        };
      return {
        inv: {
          cmd: ctx.orasPush,
          args: [image.dir, image.tag, dest],
          env: { HOME: scratch, DOCKER_CONFIG: `${scratch}/.docker`, ...creds },
        },
        check: async (stats) => {
          expectOutput("oras push", stats, image.manifest.digest);
          await check();
        },
      };
    }
  }
}

/** A copy of the image from `ctx.reg` to `repo` on `ctx.dest`. */
function copyRun(
  ctx: ModeContext,
  tool: ToolId,
  scratch: string,
  repo: string,
): PreparedRun | undefined {
  const { reg, dest, image } = ctx;
  const src = `${reg.host}/${ctx.imageRepo}:${image.tag}`;
  const dst = `${dest.host}/${repo}:${image.tag}`;
  const check = pushedCheck(dest, repo, image);
  switch (tool) {
    case "ours":
      return { inv: ours(ctx, ["copy", src, dst]), check };
    case "skopeo":
      return {
        inv: skopeo(scratch, [
          "copy",
          "--quiet",
          "--src-tls-verify=false",
          "--dest-tls-verify=false",
          ...skopeoCreds(ctx, "--src-creds"),
          ...skopeoCreds(ctx, "--dest-creds"),
          `docker://${src}`,
          `docker://${dst}`,
        ]),
        check,
      };
  }
}

function readRun(
  ctx: ModeContext,
  op: "tags" | "manifest",
  tool: ToolId,
  scratch: string,
): PreparedRun | undefined {
  const { reg, image } = ctx;
  const repo = op === "tags" ? ctx.tagsRepo : ctx.imageRepo;
  const ref = op === "tags"
    ? `${reg.host}/${repo}`
    : `${reg.host}/${repo}:${image.tag}`;
  const lastTag = ctx.tags[ctx.tags.length - 1];
  const check = (stats: ProcessStats) => {
    if (op === "tags") {
      expectOutput("tags", stats, ctx.tags[0]);
      expectOutput("tags", stats, lastTag);
    } else {
      // The npm client prints the manifest's digest, the others its text.
      expectOutput(
        "manifest",
        stats,
        tool === "npm" ? image.manifest.digest : image.config.digest,
      );
    }
    return Promise.resolve();
  };
  const env = curlEnv(ctx, repo, op === "tags" ? {} : { TAG: image.tag });
  switch (tool) {
    case "ours":
      return { inv: ours(ctx, [op, ref]), check };
    case "skopeo":
      return {
        inv: skopeo(
          scratch,
          op === "tags"
            ? [
              "list-tags",
              "--tls-verify=false",
              ...skopeoCreds(ctx, "--creds"),
              `docker://${ref}`,
            ]
            : [
              "inspect",
              "--raw",
              "--tls-verify=false",
              ...skopeoCreds(ctx, "--creds"),
              `docker://${ref}`,
            ],
        ),
        check,
      };
    case "npm":
      return {
        inv: {
          cmd: "node",
          args: [
            `${ctx.npmDriverDir}/driver.mjs`,
            ...(op === "tags"
              ? ["tags", ref]
              : ["manifest", `${reg.host}/${repo}`, image.tag]),
          ],
          env: npmEnv(ctx),
        },
        check,
      };
    case "curl":
      return {
        inv: {
          cmd: "bash",
          args: ["-c", op === "tags" ? CURL_TAGS : CURL_MANIFEST],
          env,
        },
        check,
      };
    case "deno":
      return {
        inv: {
          cmd: Deno.execPath(),
          args: ["run", "-A", ctx.denoFetch, op],
          env,
        },
        check,
      };
  }
}

/**
 * Prepares one run of `tool` doing `op` (any op but `memory`, whose runs
 * are pulls, pushes and copies of another image).
 *
 * @param scratch A fresh, empty directory for this run.
 * @param runName Unique per run of this mode (names the repositories that
 *   pushes and copies create).
 */
export function prepareRun(
  ctx: ModeContext,
  op: Op,
  tool: ToolId,
  scratch: string,
  runName: string,
): PreparedRun {
  let run: PreparedRun | undefined;
  switch (op) {
    case "pull":
      run = pullRun(ctx, tool, scratch);
      break;
    case "push":
      run = pushRun(ctx, tool, scratch, ctx.image, `bench/push-${runName}`);
      break;
    case "re-push":
      // Every blob and the manifest are there already (seeded).
      run = pushRun(ctx, tool, scratch, ctx.image, ctx.imageRepo);
      break;
    case "push-small":
      if (!ctx.small) throw new Error("no small-layer image was built");
      run = pushRun(ctx, tool, scratch, ctx.small, `bench/small-${runName}`);
      break;
    case "copy":
      run = copyRun(ctx, tool, scratch, `bench/copy-${runName}`);
      break;
    case "tags":
    case "manifest":
      run = readRun(ctx, op, tool, scratch);
      break;
  }
  if (!run) throw new Error(`${tool} does not take part in ${op}`);
  return run;
}
