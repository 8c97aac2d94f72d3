// `dreg copy SRC DST`: an image between any two stores — registries
// (`REF`, `docker://REF`), OCI layouts (`oci:PATH[:TAG]`) and archives
// (`oci-archive:PATH[:TAG]`, `docker-archive:PATH[:REF]`).

import { WALK_LIMIT_FLAGS } from "../limit_flags.ts";
import type { Command } from "../common.ts";
import { PLATFORM_FLAG, TRANSFER_FLAGS } from "../common.ts";
import {
  runTransfer,
  transferOptionsArg,
  TRUST_EXISTING_FLAG,
} from "./_transfer.ts";
import { ALL_TAGS_FLAG, copyAllTags } from "./sync.ts";
import { openStoreArg, sharingTargetAuth, storeNameArg } from "./_build.ts";

export const copy: Command = {
  name: "copy",
  args: "SRC DST",
  summary: "Copy an image between registries, layouts and archives.",
  description:
    "SRC and DST are registry references (REF or docker://REF), OCI layouts\n" +
    "(oci:PATH[:TAG]), OCI archives (oci-archive:PATH[:TAG]) or docker\n" +
    "archives (docker-archive:PATH[:REF]), as skopeo names them. Blobs stream\n" +
    "from the source to the destination, verified; blobs the destination has\n" +
    "are skipped, and within one registry they are mounted. An archive is\n" +
    "written whole or not at all. -u/-p serve whichever registry asks;\n" +
    "--src-creds and --dest-creds set one side. With --platform, only that\n" +
    "platform's manifest is copied from an index.",
  examples: [
    "dreg copy http://127.0.0.1:5000/foo:1 http://127.0.0.1:5001/foo:1",
    "dreg copy --dest-creds me:secret --platform linux/amd64 alpine:3.20 registry.example.com/alpine:3.20",
    "dreg copy docker://127.0.0.1:5000/foo:1 oci-archive:foo.tar:1",
    "dreg copy docker-archive:saved.tar oci:./foo-oci:1",
  ],
  flags: [
    PLATFORM_FLAG,
    TRANSFER_FLAGS.concurrency,
    TRANSFER_FLAGS.referrers,
    ...WALK_LIMIT_FLAGS,
    TRANSFER_FLAGS.src,
    TRANSFER_FLAGS.dst,
    TRUST_EXISTING_FLAG,
    ALL_TAGS_FLAG,
    {
      name: "--signatures",
      help:
        "also copy the image's signatures, attestations and SBOMs (cosign tags, referrers)",
    },
  ],
  arity: [2, 2],
  async run(args, io) {
    if (args.flags.has("--all-tags")) return await copyAllTags(args, io);
    const [src, dst] = args.positional;
    await storeNameArg(src, "source");
    await storeNameArg(dst, "destination");
    const options = transferOptionsArg(args);
    const withSignatures = args.flags.has("--signatures");
    let signaturesCopied = 0;
    return await runTransfer(
      args,
      io,
      { ing: "Copying", ed: "Copied" },
      async (onProgress, signal) => {
        const { copy } = await import("../../lib/content/copy.ts");
        // Each side's errors name the side, and a registry's its host.
        let source = await openStoreArg(args, src, {
          what: "source",
          side: "source",
        });
        let target;
        try {
          target = await openStoreArg(args, dst, {
            what: "destination",
            side: "destination",
            write: true,
            extra: { verifyExisting: options.verifyExisting },
          });
          // Both sides on one registry with the same credentials: one auth
          // state (one token for both repositories, and blobs mounted
          // between them).
          source = await sharingTargetAuth(args, source, src, target);
        } catch (err) {
          await source.close().catch(() => {});
          throw err;
        }
        try {
          const result = await copy(source, target, {
            ...options,
            onProgress,
            signal,
          });
          if (withSignatures) {
            const { copySignatures } = await import(
              "../../lib/artifact/signatures.ts"
            );
            const copied = await copySignatures(source, target, {
              reference: result.digest,
              referrers: !options.referrers,
              signal,
            });
            signaturesCopied = copied.length;
            Object.assign(result, { signatures: copied });
          }
          // An archive is written at close: a signal then leaves it unwritten.
          const closable = target as {
            close(options?: { signal?: AbortSignal }): Promise<void>;
          };
          await closable.close({ signal });
          return result;
        } catch (err) {
          await target.discard().catch(() => {});
          throw err;
        } finally {
          await source.close().catch(() => {});
        }
      },
      dst,
    ).then((code) => {
      if (withSignatures && code === 0 && !args.flags.has("--json")) {
        io.out(
          `Copied ${signaturesCopied} signatures, attestations and SBOMs\n`,
        );
      }
      return code;
    });
  },
};
