import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { createHash } from "node:crypto";
import {
  createDigestStream,
  digestFromManifestStr,
  DigestHasher,
  digestOf,
  DigestVerifier,
  isDigest,
  parseDigest,
} from "./digest.ts";
import {
  DigestMismatchError,
  InvalidDigestError,
  InvalidResponseError,
  SizeMismatchError,
} from "../errors.ts";
import vectors from "./testdata/digests.json" with { type: "json" };
import schema1 from "./testdata/schema1_signed.json" with { type: "json" };

const encoder = new TextEncoder();
const EMPTY_SHA256 =
  "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** The sha256 digest of some bytes, computed here without the module. */
function sha256(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Deterministic bytes: `length` bytes starting at `seed`. */
function bytesOf(length: number, seed = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed + i * 31) & 0xff;
  return out;
}

/** A stream that hands out the given chunks one per pull, counting pulls. */
function sourceOf(
  chunks: Uint8Array[],
): { stream: ReadableStream<Uint8Array>; pulls(): number } {
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller): void {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  }, { highWaterMark: 0 });
  return { stream, pulls: () => i };
}

/** Reads a stream to its end, keeping the chunk objects. */
async function readChunks(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function assertInvalidDigest(fn: () => unknown, input: string, rule: string) {
  const err = assertThrows(fn, InvalidDigestError);
  assertEquals(err.name, "InvalidDigestError");
  assertEquals(err.input, input);
  assertEquals(err.rule, rule);
  assert(
    err.message.startsWith('Invalid digest "'),
    `message: ${err.message}`,
  );
  assert(err.message.endsWith(`: ${rule}`), `message: ${err.message}`);
}

Deno.test("parseDigest() accepts sha256 and sha512 digests", async (t) => {
  for (const v of vectors.valid) {
    await t.step(v.input, () => {
      assertEquals(parseDigest(v.input), {
        algorithm: v.algorithm,
        encoded: v.encoded,
        digest: v.input,
      });
      assertEquals(isDigest(v.input), true);
    });
  }
});

Deno.test("parseDigest() rejects invalid digests naming the rule", async (t) => {
  for (const v of vectors.invalid) {
    await t.step(JSON.stringify(v.input), () => {
      assertInvalidDigest(() => parseDigest(v.input), v.input, v.rule);
      assertEquals(isDigest(v.input), false);
    });
  }
});

Deno.test("parseDigest() rejects text over 256 characters before matching", () => {
  const input = `sha256:${"a".repeat(300)}`;
  assertInvalidDigest(
    () => parseDigest(input),
    input,
    "must be at most 256 characters",
  );
  assertEquals(isDigest(input), false);
  // The message quotes a shortened input.
  const err = assertThrows(() => parseDigest(input), Error);
  assertMatch(err.message, /…\(307 chars\)"/);
});

Deno.test("parseDigest() throws TypeError for a non-string", () => {
  const err = assertThrows(
    () => parseDigest(42 as unknown as string),
    TypeError,
  );
  assertEquals(err.message, "A digest must be a string, got number");
  assertEquals(isDigest(undefined as unknown as string), false);
});

Deno.test("digestOf() hashes strings as UTF-8 and bytes as given", async (t) => {
  for (const v of vectors.content) {
    await t.step(JSON.stringify(v.text), () => {
      assertEquals(digestOf(v.text), `sha256:${v.sha256}`);
      assertEquals(digestOf(v.text, "sha256"), `sha256:${v.sha256}`);
      assertEquals(digestOf(v.text, "sha512"), `sha512:${v.sha512}`);
      const bytes = encoder.encode(v.text);
      assertEquals(digestOf(bytes), `sha256:${v.sha256}`);
      assertEquals(digestOf(bytes, "sha512"), `sha512:${v.sha512}`);
      assertEquals(isDigest(digestOf(bytes, "sha512")), true);
    });
  }
});

Deno.test("digestOf() rejects an unsupported algorithm with RangeError", () => {
  const err = assertThrows(() => digestOf("x", "md5" as "sha256"), RangeError);
  assertEquals(
    err.message,
    'Unsupported digest algorithm "md5": use "sha256" or "sha512"',
  );
});

Deno.test("DigestHasher computes the same digest chunk by chunk", async (t) => {
  const data = bytesOf(100_003);
  for (const algorithm of ["sha256", "sha512"] as const) {
    await t.step(algorithm, () => {
      const hasher = new DigestHasher(algorithm);
      assertEquals(hasher.algorithm, algorithm);
      for (let offset = 0; offset < data.length; offset += 4096) {
        hasher.update(data.subarray(offset, offset + 4096));
      }
      assertEquals(hasher.size, data.length);
      const digest = hasher.digest();
      assertEquals(digest, digestOf(data, algorithm));
      assertEquals(hasher.digest(), digest, "digest() again: same answer");
    });
  }
  await t.step("sha256 by default; empty content", () => {
    const hasher = new DigestHasher();
    assertEquals(hasher.size, 0);
    assertEquals(hasher.digest(), EMPTY_SHA256);
  });
  await t.step("update() after digest() throws", () => {
    const hasher = new DigestHasher();
    hasher.digest();
    const err = assertThrows(() => hasher.update(new Uint8Array(1)), TypeError);
    assertEquals(err.message, "DigestHasher.update() called after digest()");
  });
  await t.step("an unsupported algorithm throws RangeError", () => {
    assertThrows(() => new DigestHasher("sha1" as "sha256"), RangeError);
  });
});

Deno.test("DigestVerifier passes content through unchanged and uncopied", async (t) => {
  const chunks = [bytesOf(1000, 1), bytesOf(1, 2), bytesOf(65536, 3)];
  const whole = concat(chunks);
  for (const algorithm of ["sha256", "sha512"] as const) {
    await t.step(algorithm, async () => {
      const verifier = new DigestVerifier({
        digest: digestOf(whole, algorithm),
        size: whole.byteLength,
      });
      assertEquals(verifier.digest, digestOf(whole, algorithm));
      assertEquals(verifier.size, whole.byteLength);
      const out = await readChunks(
        sourceOf(chunks).stream.pipeThrough(verifier),
      );
      assertEquals(out.length, chunks.length);
      out.forEach((chunk, i) =>
        assertStrictEquals(chunk, chunks[i], "same object")
      );
      assertEquals(concat(out), whole);
      assertEquals(verifier.bytes, whole.byteLength);
    });
  }
  await t.step("without a size", async () => {
    const verifier = new DigestVerifier({ digest: sha256(whole) });
    assertEquals(verifier.size, undefined);
    const out = await readChunks(sourceOf(chunks).stream.pipeThrough(verifier));
    assertEquals(concat(out), whole);
  });
  await t.step("empty content", async () => {
    const verifier = new DigestVerifier({ digest: EMPTY_SHA256, size: 0 });
    assertEquals(
      await readChunks(sourceOf([]).stream.pipeThrough(verifier)),
      [],
    );
  });
});

Deno.test("DigestVerifier errors with DigestMismatchError on a flipped byte", async (t) => {
  const chunks = [bytesOf(5000, 1), bytesOf(5000, 2)];
  const expected = sha256(concat(chunks));
  const tampered = [chunks[0], chunks[1].slice()];
  tampered[1][4321] ^= 0x01;
  const actual = sha256(concat(tampered));

  await t.step("default message", async () => {
    const verifier = new DigestVerifier({ digest: expected, size: 10_000 });
    const err = await assertRejects(
      () => readChunks(sourceOf(tampered).stream.pipeThrough(verifier)),
      DigestMismatchError,
    );
    assertEquals(err.expected, expected);
    assertEquals(err.actual, actual);
    assertEquals(
      err.message,
      `Cannot verify content: digest mismatch, expected ${expected} but got ${actual}`,
    );
  });
  await t.step("sha512, with what was attempted", async () => {
    const expected512 = digestOf(concat(chunks), "sha512");
    const actual512 = digestOf(concat(tampered), "sha512");
    const verifier = new DigestVerifier({
      digest: expected512,
      attempted: 'get blob "library/alpine"',
    });
    const err = await assertRejects(
      () => readChunks(sourceOf(tampered).stream.pipeThrough(verifier)),
      DigestMismatchError,
    );
    assertEquals(
      err.message,
      `Cannot get blob "library/alpine": digest mismatch, expected ${expected512} but got ${actual512}`,
    );
    assertEquals(err.expected, expected512);
    assertEquals(err.actual, actual512);
  });
});

Deno.test("DigestVerifier errors with SizeMismatchError on short content", async () => {
  const chunks = [bytesOf(100), bytesOf(50)];
  const verifier = new DigestVerifier({
    digest: sha256(concat(chunks)),
    size: 151,
    attempted: "verify blob",
  });
  const err = await assertRejects(
    () => readChunks(sourceOf(chunks).stream.pipeThrough(verifier)),
    SizeMismatchError,
  );
  assertEquals(err.expected, 151);
  assertEquals(err.actual, 150);
  assertEquals(
    err.message,
    "Cannot verify blob: size mismatch, expected 151 bytes but got 150",
  );
});

Deno.test("DigestVerifier errors on long content before the end is consumed", async () => {
  const chunks = Array.from({ length: 100 }, (_, i) => bytesOf(10, i));
  const source = sourceOf(chunks);
  const verifier = new DigestVerifier({
    digest: sha256(concat(chunks.slice(0, 3))),
    size: 25,
  });
  let delivered = 0;
  const err = await assertRejects(async () => {
    for await (const chunk of source.stream.pipeThrough(verifier)) {
      delivered += chunk.byteLength;
    }
  }, SizeMismatchError);
  assertEquals(
    err.message,
    "Cannot verify content: size mismatch, expected 25 bytes but got 30",
  );
  assertEquals(err.expected, 25);
  assertEquals(err.actual, 30);
  assert(delivered <= 25, `delivered ${delivered} bytes past the size`);
  assert(source.pulls() < 10, `pulled ${source.pulls()} of 100 chunks`);
});

Deno.test("DigestVerifier validates its options at construction", async (t) => {
  await t.step("invalid digest: InvalidDigestError", () => {
    assertInvalidDigest(
      () =>
        new DigestVerifier({ digest: "md5:d41d8cd98f00b204e9800998ecf8427e" }),
      "md5:d41d8cd98f00b204e9800998ecf8427e",
      'unsupported algorithm "md5"',
    );
  });
  for (const size of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    await t.step(`size ${size}: RangeError`, () => {
      const err = assertThrows(
        () => new DigestVerifier({ digest: EMPTY_SHA256, size }),
        RangeError,
      );
      assertEquals(
        err.message,
        `VerifyOptions.size must be a non-negative integer, got ${size}`,
      );
    });
  }
});

Deno.test("DigestVerifier rejects chunks that are not Uint8Array", async () => {
  const verifier = new DigestVerifier({ digest: EMPTY_SHA256 });
  const writer = verifier.writable.getWriter();
  const read = verifier.readable.getReader().read();
  const err = await assertRejects(
    () => writer.write("text" as unknown as Uint8Array),
    TypeError,
  );
  assertEquals(
    err.message,
    "DigestVerifier expects Uint8Array chunks, got string",
  );
  await assertRejects(() => read, TypeError);
});

Deno.test("createDigestStream() passes content through and resolves its digest", async (t) => {
  const chunks = [bytesOf(3000, 7), bytesOf(17, 8), bytesOf(70_000, 9)];
  const whole = concat(chunks);
  for (const algorithm of ["sha256", "sha512"] as const) {
    await t.step(algorithm, async () => {
      const { stream, digest, size } = createDigestStream(algorithm);
      const out = await readChunks(sourceOf(chunks).stream.pipeThrough(stream));
      out.forEach((chunk, i) =>
        assertStrictEquals(chunk, chunks[i], "same object")
      );
      assertEquals(await digest, digestOf(whole, algorithm));
      assertEquals(size(), whole.byteLength);
    });
  }
  await t.step("sha256 by default; size() counts as bytes pass", async () => {
    const { stream, digest, size } = createDigestStream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    assertEquals(size(), 0);
    const write = writer.write(chunks[0]);
    assertStrictEquals((await reader.read()).value, chunks[0]);
    await write;
    assertEquals(size(), 3000);
    const close = writer.close();
    assertEquals((await reader.read()).done, true);
    await close;
    assertEquals(await digest, sha256(chunks[0]));
  });
  await t.step("the digest rejects when the stream is cancelled", async () => {
    const { stream, digest } = createDigestStream();
    await stream.readable.cancel(new Error("consumer went away"));
    const err = await assertRejects(() => digest, Error);
    assertEquals(err.name, "Error");
    assertEquals(err.message, "consumer went away");
  });
  await t.step("the digest rejects when the stream is aborted", async () => {
    const { stream, digest } = createDigestStream();
    await stream.writable.abort("stop");
    const err = await assertRejects(() => digest, Error);
    assertEquals(err.name, "Error");
    assertEquals(err.message, "The digest stream was cancelled");
  });
  await t.step("an unsupported algorithm throws RangeError", () => {
    assertThrows(() => createDigestStream("md5" as "sha256"), RangeError);
  });
});

Deno.test("digestFromManifestStr() hashes a manifest's text as given", () => {
  const manifest = JSON.stringify(
    {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.empty.v1+json",
        digest:
          "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        size: 2,
      },
      layers: [],
      annotations: { "org.example.note": "café" },
    },
    null,
    "\t",
  );
  assertEquals(digestFromManifestStr(manifest), sha256(manifest));
  // Whitespace counts: the registry digests the bytes, not the JSON value.
  assertEquals(
    digestFromManifestStr(manifest + "\n"),
    sha256(manifest + "\n"),
  );
  // Schema 1 without signatures is hashed as given too.
  const unsigned = '{"schemaVersion": 1, "name": "a/b", "tag": "x"}';
  assertEquals(digestFromManifestStr(unsigned), sha256(unsigned));
  const noneYet = '{"schemaVersion": 1, "signatures": []}';
  assertEquals(digestFromManifestStr(noneYet), sha256(noneYet));
});

Deno.test("digestFromManifestStr() digests a signed schema 1 manifest without its signatures", () => {
  // Independently: cut the signatures block off and put the closing brace back.
  const cut = schema1.signed.indexOf(',\n   "signatures": [');
  assert(cut > 0);
  const payload = schema1.signed.slice(0, cut) + "\n}";
  assertEquals(payload, schema1.payload);
  assertEquals(
    encoder.encode(schema1.signed.slice(0, cut)).byteLength,
    schema1.formatLength,
  );
  assertEquals(
    createHash("sha256").update(encoder.encode(payload)).digest("hex"),
    schema1.digest.slice("sha256:".length),
  );
  // The vector holds non-ASCII text: formatLength counts bytes, not chars.
  assertNotEquals(schema1.formatLength, cut);

  assertEquals(digestFromManifestStr(schema1.signed), schema1.digest);
  assertNotEquals(sha256(schema1.signed), schema1.digest);
});

function base64url(text: string): string {
  return btoa(String.fromCharCode(...encoder.encode(text)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function signedWith(protectedHeader: unknown, signatures?: unknown): string {
  return JSON.stringify(
    {
      schemaVersion: 1,
      name: "a/b",
      signatures: signatures ??
        [{ signature: "x", protected: protectedHeader }],
    },
    null,
    3,
  );
}

Deno.test("digestFromManifestStr() accepts a padded protected header", () => {
  const body = '{\n   "schemaVersion": 1';
  // Pad the JSON with spaces until its base64 needs "==".
  let json = JSON.stringify({ formatLength: body.length, formatTail: "Cn0=" });
  while (base64url(json).length % 4 !== 2) json += " ";
  const header = base64url(json);
  const text = `${body},\n   "signatures": [{"protected": "${header}=="}]\n}`;
  assertEquals(header.length % 4, 2, "the test needs two padding characters");
  assertEquals(digestFromManifestStr(text), sha256(body + "\n}"));
});

Deno.test("digestFromManifestStr() throws InvalidResponseError on malformed input", async (t) => {
  const header = (value: unknown) => base64url(JSON.stringify(value));
  const cases: [string, string, string][] = [
    ["not JSON", "{", "the manifest is not valid JSON"],
    ["empty", "", "the manifest is not valid JSON"],
    [
      "signatures not an array",
      signedWith(undefined, { protected: "x" }),
      "schema 1 manifest has a `signatures` member that is not an array",
    ],
    [
      "no protected header",
      signedWith(undefined),
      "schema 1 manifest signature: the first signature has no `protected` header",
    ],
    [
      "first signature not an object",
      signedWith(undefined, ["x"]),
      "schema 1 manifest signature: the first signature has no `protected` header",
    ],
    [
      "protected not base64url",
      signedWith("e30+"),
      "schema 1 manifest signature: the `protected` header is not base64url",
    ],
    [
      "protected of impossible length",
      signedWith("e30we"),
      "schema 1 manifest signature: the `protected` header is not base64url",
    ],
    [
      "protected not JSON",
      signedWith(base64url("{formatLength:")),
      "schema 1 manifest signature: the `protected` header is not JSON",
    ],
    [
      "protected not UTF-8",
      signedWith("_w"),
      "schema 1 manifest signature: the `protected` header is not JSON",
    ],
    [
      "protected an array",
      signedWith(header([1])),
      "schema 1 manifest signature: the `protected` header is not an object",
    ],
    [
      "formatLength missing",
      signedWith(header({ formatTail: "Cn0" })),
      "schema 1 manifest signature: `formatLength` must be an integer from 0 to {length}",
    ],
    [
      "formatLength negative",
      signedWith(header({ formatLength: -1, formatTail: "Cn0" })),
      "schema 1 manifest signature: `formatLength` must be an integer from 0 to {length}",
    ],
    [
      "formatLength past the end",
      signedWith(header({ formatLength: 1e6, formatTail: "Cn0" })),
      "schema 1 manifest signature: `formatLength` must be an integer from 0 to {length}",
    ],
    [
      "formatLength a string",
      signedWith(header({ formatLength: "10", formatTail: "Cn0" })),
      "schema 1 manifest signature: `formatLength` must be an integer from 0 to {length}",
    ],
    [
      "formatTail missing",
      signedWith(header({ formatLength: 10 })),
      "schema 1 manifest signature: `formatTail` must be a string",
    ],
    [
      "formatTail not base64url",
      signedWith(header({ formatLength: 10, formatTail: "\n}" })),
      "schema 1 manifest signature: `formatTail` is not base64url",
    ],
  ];
  for (const [name, text, problem] of cases) {
    await t.step(name, () => {
      const err = assertThrows(
        () => digestFromManifestStr(text),
        InvalidResponseError,
      );
      const length = String(encoder.encode(text).byteLength);
      assertEquals(
        err.message,
        `Cannot compute manifest digest: ${
          problem.replace("{length}", length)
        }`,
      );
    });
  }
  await t.step("the JSON error is kept as the cause", () => {
    const err = assertThrows(
      () => digestFromManifestStr("{"),
      InvalidResponseError,
    );
    assertInstanceOf(err.cause, SyntaxError);
  });
  await t.step("not a string: TypeError", () => {
    const err = assertThrows(
      () => digestFromManifestStr(new Uint8Array(2) as unknown as string),
      TypeError,
    );
    assertEquals(
      err.message,
      "A manifest must be given as a string, got object",
    );
  });
});
