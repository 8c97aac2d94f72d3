// Private: the one-shot timer behind the request bounds. It never keeps the
// process alive on its own: a library user's script ends when its work does,
// whatever requests are left unfinished (an unread body, say).
//
// `setTimeout` with unref does that everywhere. In Deno 2.9, though, the
// first `setTimeout` of a process loads the Node compatibility timers
// (about 9 ms, most of a `dreg tags` run's own work), while the timer behind
// `AbortSignal.timeout` costs nothing — but it holds the process while it
// has a listener. A process that ends with `Deno.exit` (the `dreg` CLI) does
// not care, and says so with `useSignalTimers()`; then, while `setTimeout`
// is still Deno's lazy global, timers are `AbortSignal.timeout`s whose
// listener is removed when they are cancelled.

/** Cancels a timer; calling it after the timer fired does nothing. */
export type CancelTimer = () => void;

const MAX_DELAY = 2 ** 31 - 1;

let signalTimers = false;

/**
 * Lets timers hold the process until they fire or are cancelled, in return
 * for not loading Deno's Node timers. Only for a program that ends with an
 * explicit exit.
 */
export function useSignalTimers(): void {
  signalTimers = true;
}

/** Whether `setTimeout` is still Deno's lazy getter (not loaded yet). */
function setTimeoutIsLazy(): boolean {
  const d = Object.getOwnPropertyDescriptor(globalThis, "setTimeout");
  return d !== undefined && d.get !== undefined &&
    typeof AbortSignal.timeout === "function";
}

/**
 * Lets the process end while `id` is pending: Node and Bun timers have
 * `unref()`; Deno's `setTimeout` gives a number, for `Deno.unrefTimer`.
 */
function unref(id: ReturnType<typeof setTimeout>): void {
  if (typeof id === "number") {
    // deno-lint-ignore no-explicit-any
    (globalThis as any).Deno?.unrefTimer?.(id);
  } else {
    // deno-lint-ignore no-explicit-any
    (id as any)?.unref?.();
  }
}

/** Calls `fn` once after `ms` milliseconds, unless cancelled first. */
export function startTimer(ms: number, fn: () => void): CancelTimer {
  const delay = Math.min(MAX_DELAY, Math.max(0, ms));
  if (!signalTimers || !setTimeoutIsLazy()) {
    const id = setTimeout(fn, delay);
    unref(id);
    return () => clearTimeout(id);
  }
  const signal = AbortSignal.timeout(delay);
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}
