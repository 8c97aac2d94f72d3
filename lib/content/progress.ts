/**
 * The progress events of {@linkcode pullImage}, {@linkcode pushImage} and
 * {@linkcode copyImage}: what is planned, each blob as it starts, moves and
 * ends, each manifest written, and running totals on every event.
 *
 * @example A one-line progress report
 * ```ts
 * import { copyImage, type ImageProgressEvent } from "jsr:@scope/docker-registry-client";
 *
 * const onProgress = (e: ImageProgressEvent) => {
 *   if (e.type === "blob-done") {
 *     console.log(`${e.descriptor.digest} ${e.action} (${e.totals.blobsDone}/${e.totals.blobs})`);
 *   }
 * };
 * await copyImage("http://127.0.0.1:5000/a:1", "http://127.0.0.1:5000/b:1", { onProgress });
 * ```
 *
 * @module
 */

import type { Descriptor } from "../ref/media_types.ts";

/** Running totals, a snapshot taken when the event was sent. */
export interface ProgressTotals {
  /** Blobs (configs and layers) to bring over: every distinct blob of the graph. */
  blobs: number;
  /** Blobs finished: copied, mounted, or already at the destination. */
  blobsDone: number;
  /** Blobs being transferred right now. */
  blobsActive: number;
  /** The sum of the blobs' sizes. */
  bytes: number;
  /** Bytes finished: transferred so far, plus the sizes of blobs mounted or already there. */
  bytesDone: number;
  /** Bytes actually transferred so far (read from the source). */
  bytesTransferred: number;
  /** Manifests in the graph (indexes, image manifests, referrers). */
  manifests: number;
  /** Manifests written (or found already there). */
  manifestsDone: number;
}

/** Sent once the graph has been walked: the totals are known. */
export interface PlanEvent {
  /** The event type. */
  type: "plan";
  /** The totals: nothing done yet (`blobsDone`, `bytesDone` and `manifestsDone` are 0). */
  totals: ProgressTotals;
}

/** A blob transfer starts (after the destination was found not to have it). */
export interface BlobStartEvent {
  /** The event type. */
  type: "blob-start";
  /** The blob. */
  descriptor: Descriptor;
  /** The totals. */
  totals: ProgressTotals;
}

/** Bytes of a blob went through. */
export interface BlobProgressEvent {
  /** The event type. */
  type: "blob-progress";
  /** The blob. */
  descriptor: Descriptor;
  /** Bytes of this blob transferred so far. */
  bytes: number;
  /** The totals. */
  totals: ProgressTotals;
}

/**
 * What happened to a blob: `copied` (transferred and verified), `mounted`
 * (from another repository of the same registry) or `exists` (the
 * destination had it).
 */
export type BlobAction = "copied" | "mounted" | "exists";

/** A blob is finished. */
export interface BlobDoneEvent {
  /** The event type. */
  type: "blob-done";
  /** The blob. */
  descriptor: Descriptor;
  /** What happened to it. */
  action: BlobAction;
  /** The totals. */
  totals: ProgressTotals;
}

/** A manifest was written (or the destination had it). */
export interface ManifestDoneEvent {
  /** The event type. */
  type: "manifest-done";
  /** The manifest. */
  descriptor: Descriptor;
  /** `copied` when written, `exists` when the destination had it. */
  action: "copied" | "exists";
  /** The tag it was written under, for the root manifest. */
  tag?: string;
  /** `true` when it refers to another manifest (a referrer). */
  referrer?: boolean;
  /** The totals. */
  totals: ProgressTotals;
}

/** Everything is done. */
export interface DoneEvent {
  /** The event type. */
  type: "done";
  /** The final totals. */
  totals: ProgressTotals;
}

/** Any progress event; tell them apart by `type`. */
export type ImageProgressEvent =
  | PlanEvent
  | BlobStartEvent
  | BlobProgressEvent
  | BlobDoneEvent
  | ManifestDoneEvent
  | DoneEvent;
