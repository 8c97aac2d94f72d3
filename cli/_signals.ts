// The one way a `dreg` command that writes stops on SIGINT (Ctrl-C) or
// SIGTERM: the work gets an AbortSignal that the first signal aborts, so
// that what is being written is abandoned cleanly (temporary files removed,
// an archive left unwritten, `index.json` untouched, upload sessions
// deleted) and the command exits 130 (SIGINT) or 143 (SIGTERM). A second
// signal exits at once (a later run removes what was left). Blobs already
// complete are kept: a rerun resumes.
//
// Commands use it through `interruptible(work)`; `main` turns the
// `InterruptedError` it throws into the exit code.

/** The signals a writing command stops on, with their exit codes. */
export const INTERRUPT_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/** A signal a writing command stops on. */
export type InterruptSignal = keyof typeof INTERRUPT_SIGNALS;

/** Work stopped by a signal; `exitCode` is 130 (SIGINT) or 143 (SIGTERM). */
export class InterruptedError extends Error {
  /** The signal received. */
  readonly signal: InterruptSignal;
  /** The exit code for it. */
  readonly exitCode: number;

  constructor(signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = "InterruptedError";
    this.signal = signal;
    this.exitCode = INTERRUPT_SIGNALS[signal];
  }
}

/** How {@linkcode interruptible} listens; injectable for tests. */
export interface SignalSource {
  add(signal: InterruptSignal, handler: () => void): void;
  remove(signal: InterruptSignal, handler: () => void): void;
  /** Ends the process at once (a second signal). */
  exit(code: number): never;
}

/** Deno's signal listeners (SIGTERM is not supported on Windows). */
export const DENO_SIGNALS: SignalSource = {
  add: (signal, handler) => Deno.addSignalListener(signal, handler),
  remove: (signal, handler) => Deno.removeSignalListener(signal, handler),
  exit: (code) => Deno.exit(code),
};

/**
 * Runs `work` with a signal that SIGINT or SIGTERM aborts (with an
 * {@linkcode InterruptedError} as its reason).
 *
 * @returns What `work` returns, when it completes (even if a signal came
 * while its last step could no longer be stopped).
 * @throws {InterruptedError} When a signal came and `work` then failed
 * (it was stopped).
 */
export async function interruptible<T>(
  work: (signal: AbortSignal) => Promise<T>,
  source: SignalSource = DENO_SIGNALS,
): Promise<T> {
  const controller = new AbortController();
  const handlers = new Map<InterruptSignal, () => void>();
  for (const name of Object.keys(INTERRUPT_SIGNALS) as InterruptSignal[]) {
    const handler = () => {
      if (controller.signal.aborted) source.exit(INTERRUPT_SIGNALS[name]);
      controller.abort(new InterruptedError(name));
    };
    try {
      source.add(name, handler);
      handlers.set(name, handler);
    } catch { /* not supported on this platform */ }
  }
  try {
    return await work(controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw err;
  } finally {
    for (const [name, handler] of handlers) source.remove(name, handler);
  }
}
