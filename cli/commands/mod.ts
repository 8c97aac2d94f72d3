// Every subcommand, in the order `dreg --help` lists them.

import type { Command } from "../common.ts";
import { catalog } from "./catalog.ts";
import { config } from "./config.ts";
import { copy } from "./copy.ts";
import { del } from "./delete.ts";
import { digest } from "./digest.ts";
import { login } from "./login.ts";
import { manifest } from "./manifest.ts";
import { platforms } from "./platforms.ts";
import { pull } from "./pull.ts";
import { push } from "./push.ts";
import { referrers } from "./referrers.ts";
import { tags } from "./tags.ts";

export const COMMANDS: readonly Command[] = [
  tags,
  manifest,
  digest,
  config,
  platforms,
  referrers,
  pull,
  push,
  copy,
  del,
  catalog,
  login,
];
