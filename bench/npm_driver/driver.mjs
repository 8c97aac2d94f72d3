// Drives the npm `docker-registry-client` 3.x for bench/e2e.ts, one
// operation per process:
//
//   node driver.mjs pull HOST/REPO TAG DIR   OCI layout in DIR, every digest checked
//   node driver.mjs tags HOST/REPO           prints the tag count
//   node driver.mjs manifest HOST/REPO TAG   prints the manifest digest
//
// Credentials (token mode) come from DRC_USERNAME and DRC_PASSWORD. The
// package is installed by bench/e2e.ts into ./node_modules (gitignored).

import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import process from "node:process";

const require = createRequire(import.meta.url);
const drc = require("docker-registry-client");
const bunyan = require("bunyan");

const [op, name, ...rest] = process.argv.slice(2);
const log = bunyan.createLogger({ name: "bench", level: "fatal" });
const client = drc.createClientV2({
  name,
  log,
  insecure: true,
  maxSchemaVersion: 2,
  username: process.env.DRC_USERNAME || undefined,
  password: process.env.DRC_PASSWORD || undefined,
});

const sha256 = (bytes) =>
  `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

function getManifest(ref) {
  return new Promise((resolve, reject) => {
    client.getManifest(
      { ref, maxSchemaVersion: 2, acceptManifestLists: true },
      (err, manifest, res, manifestStr) => {
        if (err) return reject(err);
        const bytes = Buffer.from(manifestStr, "utf8");
        const digest = sha256(bytes);
        const header = res.headers["docker-content-digest"];
        if (header && header !== digest) {
          return reject(new Error(`manifest digest ${digest} != ${header}`));
        }
        resolve({ manifest, bytes, digest });
      },
    );
  });
}

/**
 * Streams one blob to `path`. The client checks the bytes against the
 * response's Docker-Content-Digest when it equals the digest asked for;
 * without that header the driver hashes them itself.
 */
function downloadBlob(digest, path) {
  return new Promise((resolve, reject) => {
    client.createBlobReadStream({ digest }, (err, stream, ress) => {
      if (err) return reject(err);
      const checked = ress[0].headers["docker-content-digest"] === digest;
      const hash = checked ? null : createHash("sha256");
      const out = createWriteStream(path);
      stream.on("error", reject);
      out.on("error", reject);
      if (hash) stream.on("data", (chunk) => hash.update(chunk));
      out.on("finish", () => {
        if (hash && `sha256:${hash.digest("hex")}` !== digest) {
          reject(new Error(`blob ${digest} does not match its digest`));
        } else resolve();
      });
      stream.pipe(out);
      stream.resume();
    });
  });
}

async function pull(tag, dir) {
  const blobs = `${dir}/blobs/sha256`;
  mkdirSync(blobs, { recursive: true });
  const { manifest, bytes, digest } = await getManifest(tag);
  writeFileSync(`${blobs}/${digest.slice(7)}`, bytes);
  const descriptors = [manifest.config, ...manifest.layers];
  await Promise.all(
    descriptors.map((d) =>
      downloadBlob(d.digest, `${blobs}/${d.digest.slice(7)}`)
    ),
  );
  writeFileSync(
    `${dir}/oci-layout`,
    JSON.stringify({ imageLayoutVersion: "1.0.0" }),
  );
  writeFileSync(
    `${dir}/index.json`,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{
        mediaType: manifest.mediaType,
        digest,
        size: bytes.length,
        annotations: { "org.opencontainers.image.ref.name": tag },
      }],
    }),
  );
  console.log(digest);
}

function tags() {
  return new Promise((resolve, reject) => {
    client.listTags((err, body) => {
      if (err) return reject(err);
      console.log(body.tags.join("\n"));
      resolve();
    });
  });
}

try {
  if (op === "pull") await pull(rest[0], rest[1]);
  else if (op === "tags") await tags();
  else if (op === "manifest") console.log((await getManifest(rest[0])).digest);
  else throw new Error(`unknown operation ${op}`);
} catch (e) {
  console.error(String(e?.stack ?? e));
  process.exitCode = 1;
} finally {
  client.close();
}
