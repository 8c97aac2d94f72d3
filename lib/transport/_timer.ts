// Private: a one-shot timer that does not cost Deno its Node timers. In
// Deno 2.9 the first `setTimeout` of a process loads the Node compatibility
// timers (about 8 ms, most of a `dreg tags` run's own work); the timer
// behind `AbortSignal.timeout` does not. So where `setTimeout` is still
// Deno's lazy global, the timer is an `AbortSignal.timeout`; where it has
// been replaced or loaded (Node, Bun, a fake clock in a test, or after
// anything else used it) it is `setTimeout` itself. Either way the timer
// does not keep the process alive on its own.

/** Cancels a timer; calling it after the timer fired does nothing. */
export type CancelTimer = () => void;

const MAX_DELAY = 2 ** 31 - 1;

/** Whether `setTimeout` is still Deno's lazy getter (not loaded yet). */
function setTimeoutIsLazy(): boolean {
  const d = Object.getOwnPropertyDescriptor(globalThis, "setTimeout");
  return d !== undefined && d.get !== undefined &&
    typeof AbortSignal.timeout === "function";
}

/** Calls `fn` once after `ms` milliseconds, unless cancelled first. */
export function startTimer(ms: number, fn: () => void): CancelTimer {
  const delay = Math.min(MAX_DELAY, Math.max(0, ms));
  if (!setTimeoutIsLazy()) {
    const id = setTimeout(fn, delay);
    // deno-lint-ignore no-explicit-any
    (id as any)?.unref?.();
    return () => clearTimeout(id);
  }
  let live = true;
  AbortSignal.timeout(delay).addEventListener("abort", () => {
    if (live) {
      live = false;
      fn();
    }
  }, { once: true });
  return () => {
    live = false;
  };
}
