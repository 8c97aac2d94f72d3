// Child of upload_memory.ts: one upload of FILE, timed, printed as JSON.
// Usage: _upload_child.ts file|filedigest|chunked|stream|raw REF FILE DIGEST
//   file        blobUpload(path): the file is hashed, then sent in one PUT
//   filedigest  blobUpload(path, {digest}): one PUT, no hashing pass first
//   chunked     blobUpload(path, {digest, chunkSize: 8 MiB}): PATCHes, then PUT
//   stream      blobUpload(file.readable): one streamed PATCH hashed on the way, then PUT
//   raw         plain fetch: POST, then PUT of file.readable (the ceiling)

import { createClient } from "../mod.ts";

const [kind, ref, path, digest] = Deno.args;
const client = createClient({ repo: ref, useDefaultCredentials: false });
const size = (await Deno.stat(path)).size;
const start = performance.now();
let result: { digest: string; size: number };
if (kind === "file") {
  result = await client.blobUpload(path, { force: true });
} else if (kind === "filedigest") {
  result = await client.blobUpload(path, { digest, force: true });
} else if (kind === "chunked") {
  result = await client.blobUpload(path, {
    digest,
    force: true,
    chunkSize: 8 * 1024 * 1024,
  });
} else if (kind === "stream") {
  const file = await Deno.open(path);
  result = await client.blobUpload(file.readable, { force: true });
} else {
  const url = `${client.baseUrl}/v2/${client.repo.remoteName}/blobs/uploads/`;
  const post = await fetch(url, { method: "POST" });
  await post.body?.cancel();
  const location = new URL(post.headers.get("location")!, url);
  location.searchParams.set("digest", digest);
  const file = await Deno.open(path);
  const put = await fetch(location, { method: "PUT", body: file.readable });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`raw PUT answered ${put.status}`);
  result = { digest, size };
}
const seconds = (performance.now() - start) / 1000;
if (result.digest !== digest || result.size !== size) {
  throw new Error(`uploaded ${JSON.stringify(result)}, expected ${digest}`);
}
console.log(JSON.stringify({
  seconds: +seconds.toFixed(2),
  MBps: +(size / 1e6 / seconds).toFixed(0),
}));
