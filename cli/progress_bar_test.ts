import { assert, assertEquals, assertMatch } from "@std/assert";
import type {
  ImageProgressEvent,
  ProgressTotals,
} from "../lib/content/progress.ts";
import { formatBytes, formatDuration, formatSpeed } from "./format.ts";
import { ProgressReporter } from "./progress_bar.ts";

const MiB = 1024 * 1024;
const layer = {
  mediaType: "application/vnd.oci.image.layer.v1.tar",
  digest: `sha256:${"ab".repeat(32)}`,
  size: 64 * MiB,
};

function totals(over: Partial<ProgressTotals> = {}): ProgressTotals {
  return {
    blobs: 2,
    blobsDone: 0,
    blobsActive: 0,
    bytes: 128 * MiB,
    bytesDone: 0,
    bytesTransferred: 0,
    manifests: 1,
    manifestsDone: 0,
    ...over,
  };
}

/** A pull of two 64 MiB blobs at 32 MiB/s, one second per event. */
function script(): { at: number; event: ImageProgressEvent }[] {
  const progress = (s: number): ImageProgressEvent => ({
    type: "blob-progress",
    descriptor: layer,
    bytes: s * 32 * MiB,
    totals: totals({
      bytesDone: s * 32 * MiB,
      bytesTransferred: s * 32 * MiB,
      blobsActive: 1,
    }),
  });
  return [
    { at: 0, event: { type: "plan", totals: totals() } },
    { at: 1000, event: progress(1) },
    { at: 2000, event: progress(2) },
    {
      at: 2000,
      event: {
        type: "blob-done",
        descriptor: layer,
        action: "copied",
        totals: totals({
          blobsDone: 1,
          bytesDone: 64 * MiB,
          bytesTransferred: 64 * MiB,
        }),
      },
    },
    {
      at: 2000,
      event: {
        type: "blob-done",
        descriptor: { ...layer, digest: `sha256:${"cd".repeat(32)}` },
        action: "exists",
        totals: totals({
          blobsDone: 2,
          bytesDone: 128 * MiB,
          bytesTransferred: 64 * MiB,
        }),
      },
    },
    {
      at: 2100,
      event: {
        type: "done",
        totals: totals({
          blobsDone: 2,
          bytesDone: 128 * MiB,
          bytesTransferred: 64 * MiB,
        }),
      },
    },
  ];
}

function render(tty: boolean): string {
  let now = 0;
  let out = "";
  const r = new ProgressReporter((t) => out += t, {
    tty,
    verb: "Pulling",
    columns: 100,
    now: () => now,
  });
  for (const step of script()) {
    now = step.at;
    r.handle(step.event);
  }
  r.finish();
  return out;
}

Deno.test("formatBytes(), formatDuration(), formatSpeed() use human units", () => {
  assertEquals(formatBytes(0), "0 B");
  assertEquals(formatBytes(1000), "1000 B");
  // Three significant digits (@std/fmt/bytes), IEC units spelled KiB.
  assertEquals(formatBytes(1023), "1020 B");
  assertEquals(formatBytes(1536), "1.5 KiB");
  assertEquals(formatBytes(12.34 * MiB), "12.3 MiB");
  assertEquals(formatBytes(64 * MiB), "64 MiB");
  assertEquals(formatBytes(3 * 1024 * MiB), "3 GiB");
  assertEquals(formatBytes(-1), "?");
  assertEquals(formatBytes(NaN), "?");
  assertEquals(formatDuration(4.4), "4s");
  assertEquals(formatDuration(185), "3m05s");
  assertEquals(formatDuration(7440), "2h04m");
  assertEquals(formatSpeed(32 * MiB), "32 MiB/s");
});

Deno.test("ProgressReporter redraws one bar in place on a terminal", () => {
  const out = render(true);
  const frames = out.split("\r\x1b[2K").slice(1);
  assert(frames.length >= 5, JSON.stringify(frames));
  assertEquals(
    frames[1],
    "Pulling [========>                     ]  25%    32 MiB/128 MiB   32 MiB/s ETA 3s      blobs 0/2",
  );
  assert(frames.includes("copied  sha256:abababababab 64 MiB\n"));
  assert(frames.includes("exists  sha256:cdcdcdcdcdcd 64 MiB\n"));
  assertMatch(
    frames.at(-1)!,
    /100% +128 MiB\/128 MiB .* done in 2s +blobs 2\/2\n$/,
  );
  // Every bar frame has the same width: the bar does not jitter.
  const bars = frames.filter((f) => f.startsWith("Pulling ["));
  assertEquals(new Set(bars.map((f) => f.trimEnd().length)).size, 1);
});

Deno.test("ProgressReporter prints plain lines when not on a terminal", () => {
  assertEquals(
    render(false),
    "Pulling 2 blobs (128 MiB) and 1 manifest\n" +
      "copied  sha256:abababababab 64 MiB (1/2)\n" +
      "exists  sha256:cdcdcdcdcdcd 64 MiB (2/2)\n",
  );
});
