// Every subcommand, in the order `dreg --help` lists them.

import type { Command } from "../common.ts";
import { append } from "./append.ts";
import { artifact } from "./artifact.ts";
import { blob } from "./blob.ts";
import { catalog } from "./catalog.ts";
import { config } from "./config.ts";
import { copy } from "./copy.ts";
import { del } from "./delete.ts";
import { digest } from "./digest.ts";
import { exportCommand } from "./export.ts";
import { flatten } from "./flatten.ts";
import { index } from "./index.ts";
import { login } from "./login.ts";
import { logout } from "./logout.ts";
import { manifest } from "./manifest.ts";
import { mutate } from "./mutate.ts";
import { platforms } from "./platforms.ts";
import { pull } from "./pull.ts";
import { push } from "./push.ts";
import { referrers } from "./referrers.ts";
import { signatures } from "./signatures.ts";
import { sync } from "./sync.ts";
import { tag } from "./tag.ts";
import { tags } from "./tags.ts";
import { validate } from "./validate.ts";

export const COMMANDS: readonly Command[] = [
  tags,
  manifest,
  digest,
  config,
  platforms,
  referrers,
  signatures,
  artifact,
  pull,
  push,
  copy,
  sync,
  append,
  mutate,
  flatten,
  exportCommand,
  index,
  tag,
  validate,
  blob,
  del,
  catalog,
  login,
  logout,
];
