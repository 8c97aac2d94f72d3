// How the command-line tool is run: the Deno flags its install command,
// its shebang, `deno task dreg` and the benchmarks all use.
//
// Uploads hand fetch a fresh buffer per chunk (reusing one while fetch may
// still hold it would corrupt the upload), and V8 frees those buffers when it
// collects the young generation. A 2 MiB semi-space (V8's default is larger)
// collects them early: pushing or copying 4 × 64 MiB peaks at about 73–82 MiB
// of RSS instead of 85–97 MiB, at the same speed (bench/image_memory.ts). The
// flag must be given at start-up: V8 ignores it once the heap exists.

//
// Commands are imported when they run (cli/commands/mod.ts), but Deno
// still reads every module a literal `import()` names, and their imports,
// before it starts: about 160 files `dreg tags` never uses, ~9 ms of its
// start-up. `--unstable-lazy-dynamic-imports` makes it read them on use.
// (`deno install` still caches them all.)

/** The V8 flags `dreg` runs with. */
export const CLI_V8_FLAGS = "--max-semi-space-size=2";

/** The Deno flag that loads a command's modules only when it runs. */
export const CLI_LAZY_FLAG = "--unstable-lazy-dynamic-imports";

/** `deno run` arguments before the script: permissions and V8 flags. */
export const CLI_RUN_FLAGS: readonly string[] = [
  "-A",
  CLI_LAZY_FLAG,
  `--v8-flags=${CLI_V8_FLAGS}`,
];
