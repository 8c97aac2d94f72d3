// Private: the pull budget of a source registry (Docker Hub's
// `RateLimit-Remaining`). Before a sync reads manifests from a registry
// (what Docker Hub counts), it passes this gate: while the budget last seen
// is above the reserve, at once; once it is spent, the sync either pauses —
// every image waits on one pause, which checks the budget again with a
// `HEAD` (not counted) every `checkEveryMs` until it is back — or stops
// with a message that says so. A 429 during a copy spends the budget too.

import { delay } from "@std/async/delay";
import { TooManyRequestsError } from "../errors.ts";
import type { RateLimit, RegistryClientV2 } from "../registry/client.ts";
import type { SyncEvent } from "./summary.ts";

/**
 * What a sync does when a source registry's pull budget is spent.
 *
 * @example
 * ```ts
 * import { sync, type RateLimitPolicy } from "jsr:@scope/docker-registry-client";
 *
 * const rateLimit: RateLimitPolicy = { action: "pause", reserve: 10, checkEveryMs: 60_000 };
 * await sync("docker.io/library/alpine", "127.0.0.1:5000/alpine", { rateLimit });
 * ```
 */
export interface RateLimitPolicy {
  /**
   * `"pause"`: wait until the registry grants pulls again (checked with a
   * `HEAD`, which Docker Hub does not count), then go on; `"stop"`: stop
   * the sync, report the images not attempted, and fail.
   * @default {"pause"}
   */
  action?: "pause" | "stop";
  /**
   * Pulls to leave unspent: the sync pauses (or stops) once
   * `RateLimit-Remaining` is at or below this.
   * @default {0}
   */
  reserve?: number;
  /**
   * How often a pause checks the budget again, in milliseconds.
   * @default {300000}
   */
  checkEveryMs?: number;
  /**
   * The longest pause, in milliseconds, before the sync stops instead; by
   * default the registry's window (`w=`, 6 hours on Docker Hub), else 6 hours.
   */
  maxPauseMs?: number;
}

/** The defaults of {@linkcode RateLimitPolicy}. */
export const DEFAULT_RATE_LIMIT_POLICY: Readonly<
  Required<Omit<RateLimitPolicy, "maxPauseMs">>
> = Object.freeze({
  action: "pause",
  reserve: 0,
  checkEveryMs: 300_000,
});

const DEFAULT_WINDOW_MS = 6 * 3600 * 1000;

/** Thrown inside a sync when it must stop; reported, never surfaced. */
export class SyncStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SyncStopped";
  }
}

function describeBudget(limit: RateLimit | undefined): string {
  if (!limit) return "the pull rate limit is reached";
  const window = limit.windowSeconds
    ? ` per ${Math.round(limit.windowSeconds / 36) / 100} h`
    : "";
  return `${limit.remaining ?? 0} of ${limit.limit} pulls left${window}`;
}

/** The gate of one source registry. */
export class RateGate {
  readonly #registry: string;
  readonly #policy: Required<Omit<RateLimitPolicy, "maxPauseMs">> & {
    maxPauseMs?: number;
  };
  readonly #emit: (event: SyncEvent) => void;
  readonly #stop: (reason: string) => void;
  readonly #signal: AbortSignal;
  #limit?: RateLimit;
  #pause?: Promise<void>;

  /**
   * @param registry The registry, for messages.
   * @param policy What to do when the budget is spent.
   * @param emit Where events go.
   * @param stop Stops the whole sync with a reason.
   * @param signal The sync's signal.
   */
  constructor(
    registry: string,
    policy: RateLimitPolicy,
    emit: (event: SyncEvent) => void,
    stop: (reason: string) => void,
    signal: AbortSignal,
  ) {
    this.#registry = registry;
    this.#policy = { ...DEFAULT_RATE_LIMIT_POLICY, ...policy };
    this.#emit = emit;
    this.#stop = stop;
    this.#signal = signal;
  }

  /** Records the budget a client saw last (after one of its calls). */
  observe(client: RegistryClientV2): void {
    if (client.rateLimit) this.#limit = client.rateLimit;
  }

  /** Records a 429: the budget is spent. */
  spent(): void {
    this.#limit = { ...(this.#limit ?? { limit: 0 }), remaining: 0 };
  }

  #exhausted(limit: RateLimit | undefined): boolean {
    return limit?.remaining !== undefined &&
      limit.remaining <= this.#policy.reserve;
  }

  #event(action: "pause" | "resume" | "stop", checkInMs?: number): void {
    const l = this.#limit;
    this.#emit({
      type: "rate-limit",
      registry: this.#registry,
      action,
      ...(l?.remaining !== undefined ? { remaining: l.remaining } : {}),
      ...(l ? { limit: l.limit } : {}),
      ...(l?.windowSeconds !== undefined
        ? { windowSeconds: l.windowSeconds }
        : {}),
      ...(checkInMs !== undefined ? { checkInMs } : {}),
    });
  }

  #stopWith(why: string): never {
    const reason =
      `${this.#registry}: ${why} (${describeBudget(this.#limit)}); ` +
      "run the sync again later: what is already copied is skipped";
    this.#event("stop");
    this.#stop(reason);
    throw new SyncStopped(reason);
  }

  /**
   * Waits until pulls may be made: at once while the budget lasts; else
   * one shared pause, or a stop.
   *
   * @param client A client of the registry, to check the budget with.
   * @param ref A tag of its repository, to check with.
   * @throws {SyncStopped} When the sync must stop.
   */
  async beforePull(client: RegistryClientV2, ref: string): Promise<void> {
    if (!this.#exhausted(this.#limit)) return;
    if (this.#policy.action === "stop") {
      this.#stopWith("the pull rate limit is reached");
    }
    this.#pause ??= this.#waitForBudget(client, ref).finally(() => {
      this.#pause = undefined;
    });
    await this.#pause;
  }

  async #waitForBudget(client: RegistryClientV2, ref: string): Promise<void> {
    const started = Date.now();
    const every = this.#policy.checkEveryMs;
    const window = this.#limit?.windowSeconds;
    const maxPause = this.#policy.maxPauseMs ??
      (window ? window * 1000 : DEFAULT_WINDOW_MS);
    this.#event("pause", every);
    for (;;) {
      await delay(every, { signal: this.#signal });
      try {
        const limit = await client.checkRateLimit(ref, {
          signal: this.#signal,
        });
        this.#limit = limit;
      } catch (err) {
        if (!(err instanceof TooManyRequestsError)) throw err;
        this.spent();
      }
      if (!this.#exhausted(this.#limit)) {
        this.#event("resume");
        return;
      }
      if (Date.now() - started >= maxPause) {
        this.#stopWith(
          `the pull rate limit was still reached after a pause of ${
            Math.round((Date.now() - started) / 1000)
          } s`,
        );
      }
    }
  }
}
