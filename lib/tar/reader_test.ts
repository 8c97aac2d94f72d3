import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { StoreError, UnsafeTarEntryError } from "../errors.ts";
import { encodeHeader, type TarHeader } from "./header.ts";
import { readTar, TarParser } from "./reader.ts";
import { type TarWriteEntry, TarWriter } from "./writer.ts";

const encoder = new TextEncoder();

function file(name: string, text: string): TarWriteEntry {
  const bytes = encoder.encode(text);
  return {
    header: { name, typeflag: "0", size: bytes.byteLength },
    open: () => new Blob([bytes]).stream(),
  };
}

async function tarOf(entries: TarWriteEntry[]): Promise<Uint8Array> {
  return await new Response(new TarWriter(entries).stream()).bytes();
}

function headersOnly(...headers: TarHeader[]): Uint8Array {
  const parts = [...headers.map(encodeHeader), new Uint8Array(1024)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

Deno.test("readTar() streams entries and content written by TarWriter, in chunks of any size", async () => {
  const big = "z".repeat(70_000);
  const bytes = await tarOf([
    { header: { name: "d/", typeflag: "5", mode: 0o755 } },
    file("d/a.txt", "hello"),
    file("d/big", big),
    { header: { name: "d/l", typeflag: "2", linkname: "a.txt" } },
    { header: { name: "d/h", typeflag: "1", linkname: "./d/a.txt" } },
  ]);
  for (const size of [1, 7, 512, 100_000]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.byteLength; i += size) {
      chunks.push(bytes.slice(i, i + size));
    }
    const seen: [string, string, string][] = [];
    for await (const e of readTar(ReadableStream.from(chunks))) {
      let text = "";
      if (e.name !== "d/big") {
        for await (const c of e.content) text += new TextDecoder().decode(c);
      }
      seen.push([e.name, e.header.typeflag, e.linkTarget ?? text]);
    }
    assertEquals(seen, [
      ["d", "5", ""],
      ["d/a.txt", "0", "hello"],
      ["d/big", "0", ""],
      ["d/l", "2", ""],
      ["d/h", "1", "d/a.txt"],
    ]);
  }
});

Deno.test("readTar() refuses entries that leave the root, by name", async (t) => {
  const cases: [string, TarHeader[], string][] = [
    ["absolute", [{ name: "/etc/passwd", typeflag: "0" }], "is absolute"],
    [
      "dot-dot",
      [{ name: "a/../../x", typeflag: "0" }],
      "leaves the archive's root",
    ],
    [
      "through a symlink",
      [
        { name: "etc", typeflag: "2", linkname: "/etc" },
        { name: "etc/passwd", typeflag: "0" },
      ],
      'goes through the symlink "etc"',
    ],
    [
      "hard link outside",
      [{ name: "h", typeflag: "1", linkname: "../../etc/shadow" }],
      "is a hard link",
    ],
    [
      "hard link through a symlink",
      [
        { name: "s", typeflag: "2", linkname: "/" },
        { name: "h", typeflag: "1", linkname: "s/etc/shadow" },
      ],
      "goes through the symlink",
    ],
  ];
  for (const [name, headers, message] of cases) {
    await t.step(name, async () => {
      const err = await assertRejects(async () => {
        for await (
          const _ of readTar(ReadableStream.from([headersOnly(...headers)]))
        ) {
          // read on
        }
      }, UnsafeTarEntryError);
      assertEquals(err.message.includes(message), true, err.message);
    });
  }
  // A symlink replaced by a directory is no longer in the way.
  const entries: string[] = [];
  const parser = new TarParser({ entry: (e) => entries.push(e.name) });
  parser.push(headersOnly(
    { name: "x", typeflag: "2", linkname: "/" },
    { name: "x", typeflag: "5" },
    { name: "x/y", typeflag: "0" },
  ));
  assertEquals(entries, ["x", "x", "x/y"]);
});

Deno.test("TarParser refuses truncated and corrupt archives", () => {
  const one = headersOnly({ name: "a", typeflag: "0", size: 10 });
  const truncated = new TarParser({ entry: () => {} });
  truncated.push(one.subarray(0, 600));
  assertThrows(
    () => truncated.finish(),
    StoreError,
    "in the middle of an entry",
  );
  const corrupt = one.slice();
  corrupt[10] ^= 1;
  assertThrows(
    () => new TarParser({ entry: () => {} }).push(corrupt),
    StoreError,
    "checksum",
  );
  const bad = encodeHeader({ name: "p", typeflag: "x", size: 9 });
  const withRecords = new Uint8Array(2048);
  withRecords.set(bad.subarray(0, 512));
  withRecords.set(encoder.encode("9 path\n\n"), 512);
  assertThrows(
    () => new TarParser({ entry: () => {} }).push(withRecords),
    StoreError,
    "PAX",
  );
});

Deno.test("TarWriter fails when content ends short of the header's size", async () => {
  const writer = new TarWriter([{
    header: { name: "f", typeflag: "0", size: 10 },
    open: () => new Blob(["short"]).stream(),
  }]);
  await assertRejects(
    () => new Response(writer.stream()).bytes(),
    StoreError,
    "5 bytes short",
  );
});

Deno.test("TarWriter reads content to its end (verified streams check there) and refuses content longer than its size", async () => {
  let ended = false;
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(encoder.encode("12345"));
    },
    pull(c) {
      ended = true;
      c.close();
    },
  });
  await new Response(
    new TarWriter([{
      header: { name: "f", typeflag: "0", size: 5 },
      open: () => source,
    }]).stream(),
  ).bytes();
  assertEquals(ended, true);
  const writer = new TarWriter([{
    header: { name: "f", typeflag: "0", size: 3 },
    open: () => new Blob(["12345"]).stream(),
  }]);
  await assertRejects(
    () => new Response(writer.stream()).bytes(),
    StoreError,
    "longer than its size",
  );
});
