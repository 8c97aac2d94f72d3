// Child of download_memory.ts: one download, timed, printed as JSON.
// Usage: _download_child.ts file|stream|raw|rawhash REF DIGEST [OUT]
//   file     downloadBlob() to OUT
//   stream   createBlobReadStream() read with a BYOB reader (verified while streaming)
//   streamdefault  the same, read with a default reader (a fresh chunk each read)
//   raw      plain fetch of the blob URL, drained (no hashing): the ceiling
//   rawhash  plain fetch plus a plain node:crypto hash: what verifying costs

import { createHash } from "node:crypto";
import { createClient } from "../mod.ts";

const [kind, ref, digest, out] = Deno.args;
const client = createClient({ repo: ref });
const start = performance.now();
let bytes = 0;
if (kind === "file") {
  bytes = (await client.downloadBlob(digest, out)).size;
} else if (kind === "raw" || kind === "rawhash") {
  const url = `${client.baseUrl}/v2/${client.repo.remoteName}/blobs/${digest}`;
  const res = await fetch(url);
  const hash = kind === "rawhash" ? createHash("sha256") : undefined;
  for await (const chunk of res.body!) {
    bytes += chunk.byteLength;
    hash?.update(chunk);
  }
  if (hash && `sha256:${hash.digest("hex")}` !== digest) throw new Error("bad");
} else if (kind === "stream") {
  const { stream } = await client.createBlobReadStream(digest);
  const reader = stream.getReader({ mode: "byob" });
  let buffer = new Uint8Array(256 * 1024);
  for (;;) {
    const { done, value } = await reader.read(buffer);
    if (done) break;
    bytes += value.byteLength;
    buffer = new Uint8Array(value.buffer);
  }
} else {
  const { stream } = await client.createBlobReadStream(digest);
  for await (const chunk of stream) bytes += chunk.byteLength;
}
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({
  bytes,
  seconds: +seconds.toFixed(2),
  MBps: +(bytes / 1e6 / seconds).toFixed(0),
}));
