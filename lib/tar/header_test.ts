import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  BLOCK_SIZE,
  decodeHeaderBlock,
  encodeHeader,
  parsePaxRecords,
  readNumber,
  type TarHeader,
  TarHeaderError,
} from "./header.ts";
import { type TarEntry, TarParser } from "./reader.ts";

const decoder = new TextDecoder();

/** The entries a parser reports for `bytes`. */
function parse(bytes: Uint8Array): TarEntry[] {
  const out: TarEntry[] = [];
  const parser = new TarParser({ entry: (e) => out.push(e) });
  parser.push(bytes);
  return out;
}

/** Runs a command; its stdout. */
async function run(cmd: string, args: string[], cwd?: string) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
  }
  return decoder.decode(out.stdout);
}

/** A whole archive of these headers (no content), end marker included. */
function archive(...headers: TarHeader[]): Uint8Array {
  const parts = headers.map(encodeHeader);
  const total = parts.reduce((n, p) => n + p.byteLength, 0) + 1024;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

Deno.test("encodeHeader() writes a name over 100 bytes in a PAX record that GNU tar reads", async () => {
  const name = `dir/${"n".repeat(150)}/${"é".repeat(60)}.txt`;
  const bytes = encodeHeader({ name, typeflag: "0", mode: 0o640 });
  assertEquals(bytes.byteLength, 3 * BLOCK_SIZE);
  assertEquals(String.fromCharCode(bytes[156]), "x");
  const records = parsePaxRecords(
    bytes.subarray(BLOCK_SIZE, BLOCK_SIZE + readNumber(bytes, 124, 12)),
  );
  assertEquals(records.get("path"), name);
  const [entry] = parse(archive({ name, typeflag: "0", mode: 0o640 }));
  assertEquals(entry.name, name);
  assertEquals(entry.header.mode, 0o640);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/t.tar`, archive({ name, typeflag: "0" }));
    assertEquals(await run("tar", ["-tf", `${dir}/t.tar`]), `${name}\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encodeHeader() writes a link target over 100 bytes in a PAX record that GNU tar reads", async () => {
  const target = `../${"t".repeat(180)}`;
  const header = { name: "l", typeflag: "2", linkname: target };
  const [entry] = parse(archive(header));
  assertEquals(entry.header.linkname, target);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/t.tar`, archive(header));
    const listing = await run("tar", ["-tvf", `${dir}/t.tar`]);
    assert(listing.trim().endsWith(`l -> ${target}`), listing);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("encodeHeader() writes a size over 8 GiB in a PAX record and base-256, and both read back", () => {
  const size = 10 * 1024 ** 3 + 7;
  const bytes = encodeHeader({ name: "big", typeflag: "0", size });
  const paxSize = readNumber(bytes, 124, 12);
  const records = parsePaxRecords(
    bytes.subarray(BLOCK_SIZE, BLOCK_SIZE + paxSize),
  );
  assertEquals(records.get("size"), String(size));
  const block = bytes.subarray(bytes.byteLength - BLOCK_SIZE);
  assertEquals(block[124], 0x80, "base-256 marker");
  assertEquals(decodeHeaderBlock(block).size, size);
  // The largest octal size still fits without PAX.
  assertEquals(
    encodeHeader({ name: "f", typeflag: "0", size: 8 ** 11 - 1 }).byteLength,
    BLOCK_SIZE,
  );
  // Read through the parser: only the headers, none of the 10 GiB.
  const entries: TarEntry[] = [];
  let data = 0;
  const parser = new TarParser({
    entry: (e) => entries.push(e),
    data: (b) => data += b.byteLength,
  });
  parser.push(bytes);
  parser.push(new Uint8Array(4096));
  assertEquals(entries[0].size, size);
  assertEquals(data, 4096);
});

Deno.test("encodeHeader() is deterministic and its PAX record lengths count themselves", () => {
  // A record whose body is 98 bytes: its length has three digits, not two.
  for (const n of [80, 88, 89, 90, 91, 92, 93, 94, 95, 200, 989, 990, 995]) {
    const name = "x".repeat(n);
    const a = encodeHeader({
      name,
      typeflag: "0",
      pax: { "SCHILY.xattr.user.k": "v" },
    });
    const b = encodeHeader({
      name,
      typeflag: "0",
      pax: { "SCHILY.xattr.user.k": "v" },
    });
    assertEquals(a, b);
    const length = readNumber(a, 124, 12);
    const text = decoder.decode(a.subarray(BLOCK_SIZE, BLOCK_SIZE + length));
    let at = 0;
    while (at < text.length) {
      const record = Number(text.slice(at, text.indexOf(" ", at)));
      assertEquals(text[at + record - 1], "\n", `record at ${at} of ${n}`);
      at += record;
    }
    assertEquals(at, text.length);
    assertEquals(parse(archive({ name, typeflag: "0" }))[0].name, name);
  }
});

Deno.test("decodeHeaderBlock() checks the checksum, signed or unsigned", () => {
  const block = encodeHeader({ name: "a", typeflag: "0", uname: "\u00ff" });
  assertEquals(decodeHeaderBlock(block).uname, "\u00ff");
  const bad = block.slice();
  bad[0] = 0x62;
  assertThrows(() => decodeHeaderBlock(bad), TarHeaderError, "checksum");
  // Old tars summed bytes as signed chars.
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const b = i >= 148 && i < 156 ? 32 : block[i];
    signed += b > 127 ? b - 256 : b;
  }
  const old = block.slice();
  old.set(new TextEncoder().encode(signed.toString(8).padStart(6, "0")), 148);
  assertEquals(decodeHeaderBlock(old).name, "a");
});

Deno.test("TarParser reads GNU long names and link targets (written by GNU tar)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const long = `${"d".repeat(120)}/${"f".repeat(120)}`;
    await Deno.mkdir(`${dir}/src/${"d".repeat(120)}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/src/${long}`, "content");
    await Deno.symlink(long, `${dir}/src/${"s".repeat(110)}`);
    await run("tar", [
      "--format=gnu",
      "-cf",
      `${dir}/t.tar`,
      "-C",
      `${dir}/src`,
      ".",
    ]);
    const bytes = await Deno.readFile(`${dir}/t.tar`);
    assert(decoder.decode(bytes).includes("././@LongLink"), "GNU L/K entries");
    const entries = parse(bytes);
    const byName = new Map(entries.map((e) => [e.name, e]));
    assertEquals(byName.get(long)?.size, 7);
    assertEquals(byName.get("s".repeat(110))?.header.linkname, long);
    assert(byName.has("."), "the root entry ./ is named .");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
