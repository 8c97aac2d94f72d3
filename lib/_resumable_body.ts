// Private: a blob body that resumes with `Range` when its connection drops.

/** Fetches the blob again from `offset` (a `Range: bytes=<offset>-` request). */
export type Refetch = (offset: number) => Promise<Response>;

/**
 * Wraps a response body: when reading fails with a network error (not an
 * abort), the blob is requested again from the last byte received, up to
 * `maxResumes` times. A registry that ignores `Range` (200 instead of 206)
 * has the bytes already received skipped.
 */
export function resumableBody(
  first: ReadableStream<Uint8Array>,
  refetch: Refetch,
  maxResumes: number,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  let reader = first.getReader();
  let offset = 0;
  let resumes = 0;
  let skip = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          if (signal?.aborted || resumes >= maxResumes) throw err;
          resumes++;
          reader.releaseLock();
          const res = await refetch(offset);
          if (res.status === 200) skip = offset;
          else if (res.status !== 206 || !startsAt(res, offset)) {
            await res.body?.cancel();
            throw err;
          }
          if (res.body === null) throw err;
          reader = res.body.getReader();
          continue;
        }
        if (result.done) {
          controller.close();
          return;
        }
        let chunk = result.value;
        if (skip > 0) {
          const n = Math.min(skip, chunk.byteLength);
          skip -= n;
          chunk = chunk.subarray(n);
          if (chunk.byteLength === 0) continue;
        }
        offset += chunk.byteLength;
        controller.enqueue(chunk);
        return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

function startsAt(res: Response, offset: number): boolean {
  const range = res.headers.get("content-range");
  if (range === null) return false;
  const m = /^bytes (\d+)-/.exec(range.trim());
  return m !== null && Number(m[1]) === offset;
}
