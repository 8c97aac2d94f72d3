// Private test support: the bits of a one-file ustar archive, and random
// bytes, for building image layers that are real gzip'ed tars.

const encoder = new TextEncoder();

/** A ustar header for one regular file of `size` bytes. */
export function tarHeader(name: string, size: number): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(512);
  const put = (offset: number, text: string) =>
    header.set(encoder.encode(text), offset);
  const octal = (n: number, width: number) =>
    n.toString(8).padStart(width - 1, "0") + "\0";
  put(0, name);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(0, 12));
  put(148, "        ");
  put(156, "0");
  put(257, "ustar\0");
  put(263, "00");
  let sum = 0;
  for (const b of header) sum += b;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return header;
}

/** The zero padding after `size` bytes of content, plus the end-of-archive blocks. */
export function tarTrailerLength(size: number): number {
  return Math.ceil(size / 512) * 512 - size + 1024;
}

/** Fills a buffer with random bytes (getRandomValues takes 64 KiB at most). */
export function fillRandom(buffer: Uint8Array): void {
  for (let o = 0; o < buffer.length; o += 65536) {
    crypto.getRandomValues(
      buffer.subarray(o, Math.min(buffer.length, o + 65536)),
    );
  }
}
