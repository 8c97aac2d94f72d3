/**
 * An in-process fake container registry for tests: it speaks the OCI
 * distribution API (and the Docker token protocol) on `127.0.0.1`, keeps
 * everything in memory, records every request, and misbehaves on demand —
 * dropped connections, 429s, corrupted bytes, expiring tokens, endless
 * pages, huge bodies, and a hostile registry's tricks: indexes nested
 * thousands deep, bodies trickled a byte at a time, `Link` cycles, a 401 at
 * a chosen step of an upload, tokens that expire mid-upload.
 *
 * Use it to test your own registry tools without touching the network.
 *
 * Where the OCI distribution spec is clear, the fake follows it: upload
 * sessions answer a status `GET` (204, `Range`, `Location`,
 * `Docker-Upload-UUID`) from any `Location` they issued, an out-of-order or
 * repeated chunk gets 416 with the current `Range`, a `PATCH` without
 * `Content-Range` is a chunk appended at the end, blob `GET`s honour
 * `Range` (suffix ranges included), and `OCI-Subject` comes with the
 * referrers API.
 *
 * @example Pull a seeded manifest with plain fetch
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * registry.seedManifest("library/alpine", "3.20", {
 *   schemaVersion: 2,
 *   mediaType: "application/vnd.oci.image.manifest.v1+json",
 *   config: { mediaType: "application/vnd.oci.empty.v1+json", digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2 },
 *   layers: [],
 * });
 * const res = await fetch(`${registry.url}/v2/library/alpine/manifests/3.20`);
 * console.log(res.headers.get("docker-content-digest"));
 * await res.body?.cancel();
 * ```
 *
 * @module
 */

import type { ResolvedOptions } from "./_fake_context.ts";
import { FakeRegistryServer } from "./_fake_server.ts";
import type { FakeRegistry, FakeRegistryOptions } from "./_fake_types.ts";

export type {
  DropAfterBytesFault,
  DropUploadFault,
  FakeFaults,
  FakeManifest,
  FakeRateLimit,
  FakeRegistry,
  FakeRegistryOptions,
  FakeRepository,
  FakeSecondOrigin,
  FakeUpload,
  FaultFilter,
  FlipByteFault,
  HugeBodyFault,
  NestedIndexFault,
  RecordedRequest,
  StatusFault,
  TrickleFault,
  UploadAuthFault,
  UploadStep,
} from "./_fake_types.ts";

/**
 * Starts a fake registry on `127.0.0.1` (a free port unless `port` is
 * given), with a second origin for blob redirects.
 *
 * @param options Port, authentication and protocol options.
 * @returns The running registry.
 * @throws {RangeError} When `tagPageLimit`, `tokenLifetimeSeconds` or
 *   `chunkMinLength` is not a positive integer, or `port` is not an integer
 *   from 0 to 65535.
 * @throws {Deno.errors.AddrInUse} When `port` is taken.
 *
 * @example Test a client against a registry that drops a download once
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry();
 * const digest = registry.seedBlob("app", "0123456789");
 * registry.faults.dropAfterBytes = { bytes: 4 };
 * const res = await fetch(`${registry.url}/v2/app/blobs/${digest}`);
 * await res.arrayBuffer().catch((err) => console.log("dropped:", err.message));
 * const rest = await fetch(`${registry.url}/v2/app/blobs/${digest}`, { headers: { range: "bytes=4-" } });
 * console.log(rest.status, await rest.text()); // 206 "456789"
 * ```
 *
 * @example On a port of your choice, for a tool that must be configured ahead
 * ```ts
 * import { startFakeRegistry } from "jsr:@scope/docker-registry-client/testing";
 *
 * await using registry = await startFakeRegistry({ port: 5000 });
 * console.log(registry.url); // http://127.0.0.1:5000
 * ```
 */
export function startFakeRegistry(
  options: FakeRegistryOptions = {},
): Promise<FakeRegistry> {
  try {
    const resolved = resolveOptions(options);
    return Promise.resolve(new FakeRegistryServer(resolved, options.rateLimit));
  } catch (error) {
    return Promise.reject(error);
  }
}

function resolveOptions(options: FakeRegistryOptions): ResolvedOptions {
  const positive = (value: number | undefined, what: string) => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new RangeError(
        `Cannot start the fake registry: ${what} must be a positive integer, got ${value}`,
      );
    }
  };
  positive(options.tagPageLimit, "tagPageLimit");
  positive(options.tokenLifetimeSeconds, "tokenLifetimeSeconds");
  positive(options.chunkMinLength, "chunkMinLength");
  const port = options.port ?? 0;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new RangeError(
      `Cannot start the fake registry: port must be an integer from 0 to 65535, got ${port}`,
    );
  }
  const referrersApi = options.referrersApi ?? true;
  return {
    port,
    auth: options.auth ?? "none",
    username: options.username ?? "user",
    password: options.password ?? "pass",
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 300,
    referrersApi,
    answerOciSubject: options.answerOciSubject ?? referrersApi,
    chunkMinLength: options.chunkMinLength,
    tagPageLimit: options.tagPageLimit ?? 100,
  };
}
