import { assertEquals, assertThrows } from "@std/assert";
import { open } from "node:fs/promises";
import { StoreError } from "../errors.ts";
import {
  indexTar,
  resolveInArchive,
  safeEntryName,
  type TarEntry,
} from "./_tar_index.ts";
import { paxRecords, rawTar, withTempDir } from "./testdata/fixtures.ts";

async function indexOf(bytes: Uint8Array): Promise<Map<string, TarEntry>> {
  let out = new Map<string, TarEntry>();
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/t.tar`, bytes);
    const file = await open(`${dir}/t.tar`, "r");
    try {
      out = await indexTar(file, bytes.byteLength, "index", `${dir}/t.tar`);
    } finally {
      await file.close();
    }
  });
  return out;
}

Deno.test("safeEntryName() normalises names and refuses those that leave the root", async (t) => {
  const ok: [string, string | undefined][] = [
    ["a/b", "a/b"],
    ["./a//b/", "a/b"],
    ["./", undefined],
    ["a/./b", "a/b"],
    ["..a/b..", "..a/b.."],
  ];
  for (const [raw, want] of ok) {
    await t.step(`${JSON.stringify(raw)} → ${want}`, () => {
      assertEquals(safeEntryName(raw, "read", "x.tar"), want);
    });
  }
  for (
    const raw of [
      "/etc/x",
      "../x",
      "a/../../x",
      "a/..",
      "C:/x",
      "\\x",
      "a\\..\\x",
      "a\0b",
    ]
  ) {
    await t.step(`${JSON.stringify(raw)} is refused`, () => {
      assertThrows(() => safeEntryName(raw, "read", "x.tar"), StoreError);
    });
  }
});

Deno.test("resolveInArchive() resolves links inside the archive only", () => {
  assertEquals(
    resolveInArchive("id/layer.tar", "../abc.tar", false),
    "abc.tar",
  );
  assertEquals(
    resolveInArchive("id/layer.tar", "abc.tar", false),
    "id/abc.tar",
  );
  assertEquals(resolveInArchive("id/layer.tar", "blobs/x", true), "blobs/x");
  assertEquals(resolveInArchive("id/layer.tar", "../../x", false), undefined);
  assertEquals(
    resolveInArchive("id/layer.tar", "/etc/passwd", false),
    undefined,
  );
  assertEquals(resolveInArchive("layer.tar", "..", false), undefined);
});

Deno.test("indexTar() records names, types, offsets and sizes", async () => {
  const big = new Uint8Array(1500).fill(7);
  const bytes = rawTar([
    { name: "dir/", type: "5" },
    { name: "dir/a", content: "hello" },
    { name: "link", type: "2", linkname: "dir/a" },
    { name: "big", content: big },
    { name: "dir/a", content: "again" },
  ]);
  const entries = await indexOf(bytes);
  assertEquals([...entries.keys()], ["dir", "dir/a", "link", "big"]);
  const a = entries.get("dir/a")!;
  // A later entry of the same name wins, as tar extracts it.
  assertEquals(
    new TextDecoder().decode(bytes.subarray(a.offset, a.offset + a.size)),
    "again",
  );
  assertEquals(entries.get("link"), {
    name: "link",
    type: "symlink",
    offset: 512 * 4,
    size: 0,
    linkname: "dir/a",
  });
  const b = entries.get("big")!;
  assertEquals(bytes.subarray(b.offset, b.offset + b.size), big);
});

/** Rewrites a header's size field (`octal` or GNU base-256) and its checksum. */
function setSize(
  bytes: Uint8Array,
  at: number,
  size: number,
  base256: boolean,
) {
  const block = bytes.subarray(at, at + 512);
  block.fill(0, 124, 136);
  if (base256) {
    block[124] = 0x80;
    block[135] = size;
  } else {
    block.set(
      new TextEncoder().encode(size.toString(8).padStart(11, "0")),
      124,
    );
  }
  block.fill(32, 148, 156);
  const sum = block.reduce((a, b) => a + b, 0);
  block.set(
    new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "),
    148,
  );
}

Deno.test("indexTar() reads base-256 sizes and PAX size and linkpath records", async () => {
  const bytes = rawTar([
    { name: "p", type: "x", content: paxRecords({ size: "3" }) },
    { name: "three", content: "abc" },
    { name: "base256", content: "wxyz" },
    {
      name: "q",
      type: "x",
      content: paxRecords({ linkpath: "a-long/target" }),
    },
    { name: "link", type: "2", linkname: "short" },
  ]);
  // The header of "three" says 0: only the PAX record gives its size.
  setSize(bytes, 1024, 0, false);
  setSize(bytes, 2048, 4, true);
  const entries = await indexOf(bytes);
  assertEquals(entries.get("three")?.size, 3);
  assertEquals(entries.get("base256")?.size, 4);
  assertEquals(entries.get("link")?.linkname, "a-long/target");
  assertEquals([...entries.keys()], ["three", "base256", "link"]);
});
