// Private: the names an artifact gives its files (the title annotations),
// checked the same way on push and on pull: relative, slash-separated,
// without `..`, a NUL or a backslash, and not the directory itself. The
// rules for tar entry names are the package's one set (`lib/tar/paths.ts`).

import { checkEntryName } from "../tar/paths.ts";

/** A title, normalised (`./a//b` is `a/b`), or why it is refused. */
export type TitleCheck = { title: string; problem?: undefined } | {
  title?: undefined;
  problem: string;
};

/** Checks a file's title: where it may be written inside a directory. */
export function checkTitle(raw: string): TitleCheck {
  if (raw === "") return { problem: "is empty" };
  if (raw.includes("\\")) return { problem: "contains a backslash" };
  const checked = checkEntryName(raw);
  if (checked.problem !== undefined) {
    return {
      problem: checked.problem.startsWith("leaves")
        ? "leaves the directory"
        : checked.problem,
    };
  }
  if (checked.name === ".") return { problem: "names the directory itself" };
  return { title: checked.name };
}

/** Whether `name` is `root` or inside it (both normalised). */
export function isWithin(name: string, root: string): boolean {
  return name === root || name.startsWith(`${root}/`);
}
