/**
 * The fake registry's hostile faults: a chain of indexes nested thousands
 * deep (built once per fault, served by digest), bodies trickled a few
 * bytes at a time, and the upload step a request is (for the 401 faults).
 *
 * @module
 */

import { MEDIA_TYPE } from "../ref/media_types.ts";
import type { Context } from "./_fake_context.ts";
import { matches } from "./_fake_faults.ts";
import type {
  FakeManifest,
  NestedIndexFault,
  TrickleFault,
  UploadStep,
} from "./_fake_types.ts";
import { digestOf } from "./_fake_store.ts";

/** The empty config (`{}`) the chain's image manifest points to. */
const EMPTY_CONFIG = new TextEncoder().encode("{}");

/** A chain of nested indexes: its top, and every manifest by digest. */
interface Chain {
  top: string;
  manifests: Map<string, FakeManifest>;
}

const chains = new WeakMap<NestedIndexFault, Chain>();

/** Builds the chain bottom-up: an image manifest, then `depth` indexes. */
function buildChain(depth: number): Chain {
  const encoder = new TextEncoder();
  const manifests = new Map<string, FakeManifest>();
  const add = (value: unknown, mediaType: string) => {
    const bytes = encoder.encode(JSON.stringify(value));
    const digest = digestOf(bytes);
    manifests.set(digest, { bytes, mediaType });
    return { mediaType, digest, size: bytes.byteLength };
  };
  let child = add({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.OCI_MANIFEST,
    config: {
      mediaType: "application/vnd.oci.empty.v1+json",
      digest: digestOf(EMPTY_CONFIG),
      size: EMPTY_CONFIG.byteLength,
    },
    layers: [],
  }, MEDIA_TYPE.OCI_MANIFEST);
  for (let level = 0; level < depth; level++) {
    child = add({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.OCI_INDEX,
      manifests: [{
        ...child,
        platform: { os: "linux", architecture: "amd64" },
      }],
    }, MEDIA_TYPE.OCI_INDEX);
  }
  return { top: child.digest, manifests };
}

/**
 * The manifest the `nestedIndex` fault answers for this request: the top
 * of the chain for a tag, a member of the chain by digest; `undefined` when
 * the fault is off or does not apply.
 */
export function nestedManifest(
  ctx: Context,
): { digest: string; manifest: FakeManifest } | undefined {
  const fault = ctx.state.faults.nestedIndex;
  if (fault === undefined || !matches(fault, ctx.method, ctx.pathAndQuery)) {
    return undefined;
  }
  let chain = chains.get(fault);
  if (chain === undefined) {
    chain = buildChain(Math.max(0, Math.floor(fault.depth)));
    chains.set(fault, chain);
  }
  ctx.state.store.putBlob(ctx.name, EMPTY_CONFIG);
  const digest = ctx.ref.includes(":") ? ctx.ref : chain.top;
  const manifest = chain.manifests.get(digest);
  return manifest && { digest, manifest };
}

/**
 * The answer with its body sent `fault.bytes` bytes at a time, `everyMs`
 * apart (status and headers unchanged).
 */
export function trickled(res: Response, fault: TrickleFault): Response {
  if (res.body === null) return res;
  const reader = res.body.getReader();
  const step = Math.max(1, Math.floor(fault.bytes ?? 1));
  let pending: Uint8Array | undefined;
  let wait:
    | { timer: ReturnType<typeof setTimeout>; wake: () => void }
    | undefined;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending === undefined || pending.byteLength === 0) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        pending = value;
      }
      await new Promise<void>((resolve) => {
        wait = { timer: setTimeout(resolve, fault.everyMs), wake: resolve };
      });
      wait = undefined;
      if (cancelled) return;
      controller.enqueue(pending.slice(0, step));
      pending = pending.subarray(step);
    },
    cancel(reason) {
      cancelled = true;
      if (wait !== undefined) {
        clearTimeout(wait.timer);
        wait.wake();
      }
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

/** Which step of an upload a request to an upload route is. */
export function uploadStep(
  method: string,
  pathname: string,
): UploadStep | undefined {
  if (!/^\/v2\/.+\/blobs\/uploads\//.test(pathname)) return undefined;
  if (method === "POST" && pathname.endsWith("/blobs/uploads/")) return "POST";
  if (method === "PATCH") return "PATCH";
  if (method === "PUT") return "PUT";
  return undefined;
}
