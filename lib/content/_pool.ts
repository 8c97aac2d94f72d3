// Private: a small concurrency pool. Runs a function over items, in item
// order, with at most `concurrency` calls' worth of weight in flight (each
// call weighs 1 unless `weight` says less: small blobs can then move many at
// a time); the first failure aborts the shared signal (so calls in flight
// can stop early), lets the calls in flight settle, and is then thrown.

/** Options of {@linkcode runPool}. */
export interface PoolOptions<T> {
  /** The most weight in flight at once (at least 1). */
  concurrency: number;
  /** Stops the pool: no new calls start, and the calls' signal aborts. */
  signal?: AbortSignal;
  /** A call's weight, from 1/64 to 1 (the default). */
  weight?: (item: T) => number;
}

/**
 * Calls `fn` on every item, in item order, with at most `concurrency` of
 * weight in flight (at least one call always runs). Each call gets a signal
 * that aborts when the caller's signal does or when another call fails.
 *
 * @returns The results, in item order.
 * @throws The first failure (or the caller's abort reason).
 */
export async function runPool<T, R>(
  items: readonly T[],
  fn: (item: T, signal: AbortSignal, index: number) => Promise<R>,
  options: PoolOptions<T>,
): Promise<R[]> {
  const capacity = Math.max(1, Math.floor(options.concurrency));
  const failed = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, failed.signal])
    : failed.signal;
  const weightOf = (item: T) =>
    options.weight ? Math.min(1, Math.max(1 / 64, options.weight(item))) : 1;
  const results = new Array<R>(items.length);
  let next = 0;
  let used = 0;
  let active = 0;
  let firstError: { error: unknown } | undefined;
  await new Promise<void>((resolve) => {
    const launch = () => {
      while (next < items.length && !signal.aborted) {
        const w = weightOf(items[next]);
        if (active > 0 && used + w > capacity + 1e-9) break;
        const index = next++;
        used += w;
        active++;
        fn(items[index], signal, index).then(
          (result) => {
            results[index] = result;
          },
          (error) => {
            if (firstError) return;
            firstError = { error };
            // The others stop with an abort of their own: the error itself
            // goes to the caller only, not through every abort listener.
            failed.abort(
              new DOMException(
                "another transfer of the image failed",
                "AbortError",
              ),
            );
          },
        ).finally(() => {
          used -= w;
          active--;
          launch();
          if (active === 0) resolve();
        });
      }
      if (active === 0) resolve();
    };
    launch();
  });
  if (firstError) throw firstError.error;
  options.signal?.throwIfAborted();
  return results;
}
