// Seeds a benchmark registry and checks what the tools left in it. Private
// helper of bench/e2e.ts.

import { createHash } from "node:crypto";
import type { RealRegistry } from "../test_support/real_registry.ts";
import { harnessAuthorization } from "../test_support/fixtures.ts";
import type { BenchImage } from "./_e2e_layout.ts";

const encoder = new TextEncoder();

function headersWith(
  authorization: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return authorization ? { ...extra, authorization } : extra;
}

/** Monolithic upload (POST then PUT) of a small blob. */
async function uploadBlob(
  reg: RealRegistry,
  repo: string,
  bytes: Uint8Array,
  authorization: string | undefined,
): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const post = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
    headers: headersWith(authorization),
  });
  await post.body?.cancel();
  if (post.status !== 202) throw new Error(`POST upload: ${post.status}`);
  const location = new URL(post.headers.get("location")!, reg.url);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: headersWith(authorization, {
      "content-type": "application/octet-stream",
    }),
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`PUT upload: ${put.status}`);
  return { digest, size: bytes.length };
}

/**
 * Pushes a tiny image to `repo` and tags it `count` times (`t0000` …),
 * `concurrency` manifest PUTs in flight.
 *
 * @returns The tags, sorted.
 */
export async function seedTags(
  reg: RealRegistry,
  repo: string,
  count: number,
  concurrency = 8,
): Promise<string[]> {
  const authorization = await harnessAuthorization(reg, repo);
  const layer = await uploadBlob(
    reg,
    repo,
    crypto.getRandomValues(new Uint8Array(512)),
    authorization,
  );
  const config = await uploadBlob(
    reg,
    repo,
    encoder.encode(JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [layer.digest] },
    })),
    authorization,
  );
  const mediaType = "application/vnd.oci.image.manifest.v1+json";
  const manifest = encoder.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      ...config,
    },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
  }));
  const width = Math.max(4, String(count - 1).length);
  const tags = Array.from(
    { length: count },
    (_, i) => `t${String(i).padStart(width, "0")}`,
  );
  let next = 0;
  const worker = async () => {
    while (next < tags.length) {
      const tag = tags[next++];
      const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
        method: "PUT",
        headers: headersWith(authorization, { "content-type": mediaType }),
        body: manifest as Uint8Array<ArrayBuffer>,
      });
      const text = await res.text();
      if (res.status !== 201) {
        throw new Error(`PUT ${repo}:${tag}: ${res.status} ${text}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tags;
}

/**
 * The digest the registry serves for `repo:tag` (a GET of the manifest,
 * hashed), or undefined when it answers 404.
 */
export async function registryManifestDigest(
  reg: RealRegistry,
  repo: string,
  tag: string,
): Promise<string | undefined> {
  const authorization = await harnessAuthorization(reg, repo, "pull");
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
    headers: headersWith(authorization, {
      accept: "application/vnd.oci.image.manifest.v1+json, " +
        "application/vnd.docker.distribution.manifest.v2+json",
    }),
  });
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${repo}:${tag}: ${res.status}`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Pushes `image`'s layout to `repo:tag` with skopeo (its blob-info cache
 * under `scratch`) and checks the digest it reports.
 */
export async function seedImage(
  reg: RealRegistry,
  image: BenchImage,
  repo: string,
  scratch: string,
): Promise<void> {
  const digestFile = `${scratch}/seed.digest`;
  const creds = reg.mode === "anonymous"
    ? []
    : ["--dest-creds", `${reg.username}:${reg.password}`];
  const out = await new Deno.Command("skopeo", {
    args: [
      "--insecure-policy",
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      ...creds,
      "--digestfile",
      digestFile,
      `oci:${image.dir}:${image.tag}`,
      `docker://${reg.host}/${repo}:${image.tag}`,
    ],
    env: {
      REGISTRY_AUTH_FILE: `${scratch}/auth.json`,
      _CONTAINERS_ROOTLESS_UID: "1000",
      XDG_DATA_HOME: `${scratch}/xdg-data`,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `seeding with skopeo failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const got = (await Deno.readTextFile(digestFile)).trim();
  if (got !== image.manifest.digest) {
    throw new Error(`skopeo pushed ${got}, expected ${image.manifest.digest}`);
  }
}
