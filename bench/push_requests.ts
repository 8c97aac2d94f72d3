#!/usr/bin/env -S deno run -A
// Usage: deno run -A bench/push_requests.ts [LAYER_MIB]
//
// Counts the HTTP requests the client makes to push a 5-blob image (config
// + 4 layers of LAYER_MIB MiB, 2 by default, + the manifest) to the real
// registry, in each auth mode: on a fresh repository, then again when every
// blob exists. Counts come from the registry's access log (every request it
// answered, the /v2/ ping and 401 challenges included) and from the token
// server's log; timings are wall-clock.

import { createClient, type ImageManifest, MEDIA_TYPE } from "../mod.ts";
import { type AuthMode, startRegistry } from "../test_support/real_registry.ts";
import { numberOperand, parseBenchArgs, usageFromHeader } from "./_args.ts";

function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  }
  return out;
}

function summary(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const [method, path] = line.split(" ");
    const what = path === "/v2/"
      ? "ping"
      : path.includes("/blobs/uploads/")
      ? "upload"
      : path.includes("/blobs/")
      ? "blob"
      : "manifest";
    out[`${method} ${what}`] = (out[`${method} ${what}`] ?? 0) + 1;
  }
  return out;
}

if (import.meta.main) {
  const args = parseBenchArgs(Deno.args, {
    usage: usageFromHeader(import.meta.url, 1, 2),
    operands: 1,
  });
  const mib = numberOperand(args, 0, "LAYER_MIB", 2, true);
  const layers = Array.from({ length: 4 }, () => randomBytes(mib * 1048576));
  const report: Record<string, unknown> = { layerMiB: mib };
  for (const mode of ["anonymous", "basic", "token"] as AuthMode[]) {
    await using reg = await startRegistry({ mode });
    const auth = reg.password
      ? { username: reg.username, password: reg.password }
      : {};
    const push = async (repo: string) => {
      // A new client each time: nothing cached but what the registry holds.
      const client = createClient({
        repo: `${reg.host}/${repo}`,
        useDefaultCredentials: false,
        ...auth,
      });
      const start = performance.now();
      const descriptors = [];
      for (const layer of layers) {
        const { digest, size } = await client.blobUpload(layer);
        descriptors.push({
          mediaType: MEDIA_TYPE.OCI_LAYER_GZIP,
          digest,
          size,
        });
      }
      const config = new TextEncoder().encode(JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: descriptors.map((d) => d.digest) },
      }));
      const cfg = await client.blobUpload(config);
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.OCI_MANIFEST,
        config: { mediaType: MEDIA_TYPE.OCI_CONFIG, ...cfg },
        layers: descriptors,
      };
      await client.putManifest("v1", manifest);
      return performance.now() - start;
    };
    const measure = async (label: string) => {
      await reg.flushAccessLog();
      const before = reg.accessLog().length;
      const tokensBefore = reg.tokenServer?.requests.length ?? 0;
      const ms = await push("bench/app");
      const lines = (await reg.flushAccessLog()).slice(before);
      return {
        [label]: {
          requests: lines.length,
          byKind: summary(lines),
          tokenRequests: (reg.tokenServer?.requests.length ?? 0) - tokensBefore,
          ms: +ms.toFixed(1),
        },
      };
    };
    report[mode] = { ...await measure("fresh"), ...await measure("repeat") };
  }
  console.log(JSON.stringify(report, null, 2));
}
