// Private: one operation (a ping, a token request) shared by every caller
// that needs it at the same time. Each caller waits with its own signal; the
// operation itself is cancelled only once every caller waiting for it has
// given up, so one caller's abort never fails another's call.

/** An operation shared by concurrent callers. */
export class Shared<T> {
  /** The operation's own outcome. */
  readonly promise: Promise<T>;
  readonly #controller = new AbortController();
  readonly #onAbandoned: () => void;
  #waiters = 0;
  #settled = false;

  /**
   * Starts the operation.
   *
   * @param run The operation; it must stop when its signal aborts.
   * @param onAbandoned Called when every waiter gave up and the operation
   *   was cancelled (forget it, so the next caller starts afresh).
   */
  constructor(
    run: (signal: AbortSignal) => Promise<T>,
    onAbandoned: () => void,
  ) {
    this.#onAbandoned = onAbandoned;
    this.promise = run(this.#controller.signal);
    this.promise.then(
      () => this.#settled = true,
      () => this.#settled = true,
    );
  }

  /**
   * Waits for the operation, or rejects with `signal`'s reason as soon as it
   * aborts.
   */
  wait(signal?: AbortSignal): Promise<T> {
    if (signal === undefined) {
      this.#waiters = Infinity;
      return this.promise;
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    this.#waiters++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        if (--this.#waiters === 0 && !this.#settled) {
          this.#onAbandoned();
          this.#controller.abort(signal.reason);
        }
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          this.#waiters--;
          resolve(value);
        },
        (err) => {
          signal.removeEventListener("abort", onAbort);
          this.#waiters--;
          reject(err);
        },
      );
    });
  }
}
