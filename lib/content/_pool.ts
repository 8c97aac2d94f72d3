// Private: a small concurrency pool. Runs a function over items with at most
// `concurrency` calls in flight; the first failure aborts the shared signal
// (so calls in flight can stop early), lets the calls in flight settle, and
// is then thrown.

/** Options of {@linkcode runPool}. */
export interface PoolOptions {
  /** The most calls in flight at once (at least 1). */
  concurrency: number;
  /** Stops the pool: no new calls start, and the calls' signal aborts. */
  signal?: AbortSignal;
}

/**
 * Calls `fn` on every item, at most `concurrency` at a time, in item order.
 * Each call gets a signal that aborts when the caller's signal does or when
 * another call fails.
 *
 * @returns The results, in item order.
 * @throws The first failure (or the caller's abort reason).
 */
export async function runPool<T, R>(
  items: readonly T[],
  fn: (item: T, signal: AbortSignal, index: number) => Promise<R>,
  options: PoolOptions,
): Promise<R[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const failed = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, failed.signal])
    : failed.signal;
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const index = next++;
      try {
        results[index] = await fn(items[index], signal, index);
      } catch (error) {
        if (!firstError) {
          firstError = { error };
          // The others stop with an abort of their own: the error itself
          // goes to the caller only, not through every abort listener.
          failed.abort(
            new DOMException(
              "another transfer of the image failed",
              "AbortError",
            ),
          );
        }
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, worker),
  );
  if (firstError) throw firstError.error;
  options.signal?.throwIfAborted();
  return results;
}
