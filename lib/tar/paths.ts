/**
 * Entry names of tar archives, as readers must take them: normalised
 * (`./a//b/` is `a/b`), and refused when they would leave the root they
 * are unpacked into (absolute, a `..` segment, a NUL).
 *
 * @example
 * ```ts
 * import { checkEntryName } from "./paths.ts";
 *
 * console.log(checkEntryName("./usr//bin/")); // { name: "usr/bin" }
 * console.log(checkEntryName("../etc/passwd")); // { problem: "leaves the archive's root" }
 * ```
 *
 * @module
 */

/** A name, normalised, or why it is refused. */
export type EntryNameCheck = { name: string; problem?: undefined } | {
  name?: undefined;
  problem: string;
};

/**
 * Normalises an entry name: no leading `./`, no empty or `.` segments, no
 * trailing `/`; the root itself (`./`, `/`… no: `/` is absolute) is `"."`.
 *
 * @param raw The name as written in the archive.
 * @returns `{ name }`, or `{ problem }` when the name is absolute (`/x`,
 * `C:x`, `\x`), has a `..` segment (with `/` or `\` separators), or holds
 * a NUL.
 *
 * @example
 * ```ts
 * import { checkEntryName } from "./paths.ts";
 *
 * console.log(checkEntryName("./").name); // "."
 * ```
 */
export function checkEntryName(raw: string): EntryNameCheck {
  if (raw.includes("\0")) return { problem: "contains a NUL" };
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw) || raw.startsWith("\\")) {
    return { problem: "is absolute" };
  }
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".." || p.split("\\").includes(".."))) {
    return { problem: "leaves the archive's root" };
  }
  return { name: parts.length ? parts.join("/") : "." };
}

/**
 * The proper ancestors of a normalised name, nearest last: `a/b/c` →
 * `a`, `a/b`.
 *
 * @param name A normalised name.
 * @returns Its ancestors, root excluded.
 *
 * @example
 * ```ts
 * import { ancestorsOf } from "./paths.ts";
 *
 * console.log([...ancestorsOf("a/b/c")]); // ["a", "a/b"]
 * ```
 */
export function* ancestorsOf(name: string): Generator<string> {
  let at = name.indexOf("/");
  while (at >= 0) {
    yield name.slice(0, at);
    at = name.indexOf("/", at + 1);
  }
}

/**
 * Resolves a link's target against the link's own directory: `undefined`
 * when it leaves the root. A hard link names its target from the root.
 *
 * @param linkName The link's normalised name.
 * @param target Its target, as written.
 * @param hard Whether it is a hard link.
 * @returns The normalised target.
 *
 * @example
 * ```ts
 * import { resolveLinkTarget } from "./paths.ts";
 *
 * console.log(resolveLinkTarget("id/layer.tar", "../abc.tar", false)); // "abc.tar"
 * ```
 */
export function resolveLinkTarget(
  linkName: string,
  target: string,
  hard: boolean,
): string | undefined {
  if (target.startsWith("/")) return undefined;
  const base = hard ? [] : linkName.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!base.length) return undefined;
      base.pop();
    } else base.push(part);
  }
  return base.length ? base.join("/") : undefined;
}
