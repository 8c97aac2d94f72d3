// Progress of pull, push and copy: on a terminal, one bar redrawn in place
// (`\r` and erase-line), with finished blobs printed above it; elsewhere,
// one plain line per finished blob and manifest.

import type { ImageProgressEvent } from "../lib/content/progress.ts";
import {
  formatBytes,
  formatDuration,
  formatSpeed,
  shortDigest,
} from "./format.ts";

/** Options of {@linkcode ProgressReporter}. */
export interface ProgressReporterOptions {
  /** Draw a bar redrawn in place (a terminal) rather than plain lines. */
  tty: boolean;
  /** The verb of the bar: `Pulling`, `Pushing`, `Copying`. */
  verb: string;
  /** The terminal's width. @default {80} */
  columns?: number;
  /** The clock, in milliseconds. @default {performance.now} */
  now?: () => number;
  /** The least time between two redraws, in milliseconds. @default {100} */
  intervalMs?: number;
}

/** Erases the current line and returns to its start. */
const CLEAR_LINE = "\r\x1b[2K";
const SPEED_WINDOW_MS = 5000;

/** Renders image progress events as a bar (terminal) or as lines. */
export class ProgressReporter {
  readonly #write: (text: string) => void;
  readonly #o: Required<ProgressReporterOptions>;
  #last?: ImageProgressEvent;
  #start = 0;
  #drawnAt = -Infinity;
  #barShown = false;
  #samples: { t: number; bytes: number }[] = [];

  constructor(
    write: (text: string) => void,
    options: ProgressReporterOptions,
  ) {
    this.#write = write;
    this.#o = {
      columns: 80,
      now: () => performance.now(),
      intervalMs: 100,
      ...options,
    };
  }

  /** Takes one event; use as `onProgress`. */
  handle(event: ImageProgressEvent): void {
    this.#last = event;
    const now = this.#o.now();
    if (event.type === "plan") {
      this.#start = now;
      this.#samples = [{ t: now, bytes: 0 }];
    }
    this.#sample(now, event.totals.bytesTransferred);
    if (this.#o.tty) this.#tty(event, now);
    else this.#plain(event);
  }

  /** Ends the bar's line (terminal); call once when done or failed. */
  finish(): void {
    if (this.#o.tty && this.#barShown) {
      if (this.#last?.type !== "done") this.#draw(this.#o.now());
      this.#write("\n");
      this.#barShown = false;
    }
  }

  #sample(now: number, bytes: number): void {
    const last = this.#samples.at(-1);
    if (last && now - last.t < 100) return;
    this.#samples.push({ t: now, bytes });
    while (
      this.#samples.length > 2 && now - this.#samples[0].t > SPEED_WINDOW_MS
    ) this.#samples.shift();
  }

  /** Bytes per second over the last few seconds. */
  speed(now: number = this.#o.now()): number {
    const bytes = this.#last?.totals.bytesTransferred ?? 0;
    const first = this.#samples[0];
    if (!first) return 0;
    const dt = (now - first.t) / 1000;
    return dt > 0.05 ? (bytes - first.bytes) / dt : 0;
  }

  #plain(event: ImageProgressEvent): void {
    const t = event.totals;
    switch (event.type) {
      case "plan":
        this.#write(
          `${this.#o.verb} ${t.blobs} blob${t.blobs === 1 ? "" : "s"} (${
            formatBytes(t.bytes)
          }) and ${t.manifests} manifest${t.manifests === 1 ? "" : "s"}\n`,
        );
        break;
      case "blob-done":
        this.#write(
          `${event.action.padEnd(7)} ${shortDigest(event.descriptor.digest)} ${
            formatBytes(event.descriptor.size)
          } (${t.blobsDone}/${t.blobs})\n`,
        );
        break;
      case "manifest-done":
        this.#write(this.#manifestLine(event));
        break;
    }
  }

  #manifestLine(
    event: ImageProgressEvent & { type: "manifest-done" },
  ): string {
    const what = event.referrer ? "referrer" : "manifest";
    return `${event.action.padEnd(7)} ${
      shortDigest(event.descriptor.digest)
    } ${what}${event.tag ? ` (tag ${event.tag})` : ""}\n`;
  }

  #tty(event: ImageProgressEvent, now: number): void {
    if (event.type === "blob-done" || event.type === "manifest-done") {
      const line = event.type === "blob-done"
        ? `${event.action.padEnd(7)} ${shortDigest(event.descriptor.digest)} ${
          formatBytes(event.descriptor.size)
        }\n`
        : this.#manifestLine(event);
      this.#write(CLEAR_LINE + line);
      this.#barShown = false;
      this.#draw(now);
      return;
    }
    if (
      event.type === "plan" || event.type === "done" ||
      now - this.#drawnAt >= this.#o.intervalMs
    ) this.#draw(now);
  }

  /** The bar's text (without control codes), its fields at fixed widths. */
  line(now: number = this.#o.now()): string {
    const t = this.#last?.totals;
    if (!t) return "";
    const fraction = t.bytes > 0
      ? Math.min(1, t.bytesDone / t.bytes)
      : (t.blobs > 0 ? t.blobsDone / t.blobs : 1);
    const speed = this.speed(now);
    const remaining = Math.max(0, t.bytes - t.bytesDone);
    const eta = this.#last?.type === "done"
      ? `done in ${formatDuration((now - this.#start) / 1000)}`
      : speed > 0
      ? `ETA ${formatDuration(remaining / speed)}`
      : "ETA ?";
    const tail = [
      `${(fraction * 100).toFixed(0)}%`.padStart(4),
      `${formatBytes(t.bytesDone)}/${formatBytes(t.bytes)}`.padStart(17),
      formatSpeed(speed).padStart(10),
      eta.padEnd(11),
      `blobs ${t.blobsDone}/${t.blobs}`,
    ].join(" ");
    const head = `${this.#o.verb} `;
    const width = Math.min(
      30,
      this.#o.columns - 1 - head.length - tail.length - 3,
    );
    if (width < 5) return `${head}${tail}`.slice(0, this.#o.columns - 1);
    const filled = Math.round(fraction * width);
    const bar = filled >= width
      ? "=".repeat(width)
      : "=".repeat(filled) + ">" + " ".repeat(width - filled - 1);
    return `${head}[${bar}] ${tail}`;
  }

  #draw(now: number): void {
    this.#drawnAt = now;
    this.#barShown = true;
    this.#write(CLEAR_LINE + this.line(now));
  }
}
