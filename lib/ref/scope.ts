/**
 * Token scopes of the Docker token-auth spec (`type:name:actions`): parsing,
 * formatting, merging, and checking that granted scopes cover wanted ones.
 *
 * Grammar (distribution `docs/spec/auth/scope.md`), as implemented:
 *
 * ```
 * scope          := resourcescope [ ' ' resourcescope ]*
 * resourcescope  := resourcetype ":" resourcename ":" [ action [ ',' action ]* ]
 * resourcetype   := /[a-z0-9]+/ [ '(' /[a-z0-9]+/ ')' ]     ; repository(plugin)
 * resourcename   := [ hostname '/' ] component [ '/' component ]*
 * hostname       := hostcomponent [ '.' hostcomponent ]* [ ':' /[0-9]+/ ]
 * hostcomponent  := /[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?/
 * component      := /[a-z0-9]+/ [ separator /[a-z0-9]+/ ]*
 * separator      := /[_.]|__|-+/
 * action         := '*' | [a-z] [a-z0-9_-]*
 * ```
 *
 * Decisions where the spec leaves room:
 *
 * - An empty actions part (`repository:foo:`) is accepted and means no
 *   actions (`actions: []`); an empty action inside a list (`pull,,push`,
 *   `pull,`) is an error.
 * - Actions may hold digits, `_` and `-` besides `[a-z]` (Azure's
 *   `metadata_read`), or be `*` (`registry:catalog:*`).
 * - The name holds at most one `:`, the port of a leading `host:port/`.
 * - A single scope is at most 1024 characters, a space-separated list at
 *   most 16384; runs of spaces between scopes are tolerated.
 * - {@linkcode parseScope} keeps actions as written;
 *   {@linkcode mergeScopes} puts them in canonical order.
 *
 * @module
 */

import { InvalidScopeError } from "../errors.ts";

/**
 * One resource scope: what may be done (`actions`) to which resource
 * (`type` and `name`).
 *
 * @example
 * ```ts
 * import type { Scope } from "jsr:@scope/docker-registry-client";
 *
 * const pull: Scope = { type: "repository", name: "library/alpine", actions: ["pull"] };
 * ```
 */
export interface Scope {
  /** The resource type, e.g. `repository`, `registry`, `repository(plugin)`. */
  type: string;
  /** The resource name, e.g. `library/alpine`, `catalog`. */
  name: string;
  /** The actions, e.g. `pull`, `push`, `delete`, `*`. */
  actions: string[];
}

/**
 * The scope that listing the catalog needs: `registry:catalog:*`. Frozen.
 *
 * @example
 * ```ts
 * import { CATALOG_SCOPE, formatScope } from "jsr:@scope/docker-registry-client";
 *
 * console.log(formatScope(CATALOG_SCOPE)); // registry:catalog:*
 * ```
 */
export const CATALOG_SCOPE: Scope = Object.freeze({
  type: "registry",
  name: "catalog",
  actions: Object.freeze(["*"]) as string[],
});

const MAX_SCOPE_LENGTH = 1024;
const MAX_SCOPES_LENGTH = 16384;
const CANONICAL_ACTIONS = ["pull", "push", "delete"];

const TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOSTNAME =
  /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const ACTION = /^(?:\*|[a-z][a-z0-9_-]*)$/;

/** The rule a type breaks, if any. */
function typeRule(type: string): string | undefined {
  if (type === "") return "empty type";
  if (!TYPE.test(type)) {
    return `invalid type ${
      JSON.stringify(type)
    } (must match [a-z0-9]+ or [a-z0-9]+([a-z0-9]+))`;
  }
  return undefined;
}

/** The rule a name breaks, if any. */
function nameRule(name: string): string | undefined {
  if (name === "") return "empty name";
  const colon = name.indexOf(":");
  if (colon !== -1 && name.indexOf(":", colon + 1) !== -1) {
    return "name may hold at most one ':' (host:port)";
  }
  const parts = name.split("/");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (COMPONENT.test(part)) continue;
    if (i === 0 && parts.length > 1 && HOSTNAME.test(part)) continue;
    if (part.includes(":")) {
      return i === 0 && parts.length > 1
        ? `invalid host:port ${JSON.stringify(part)} in name`
        : "name may hold ':' only in a leading host:port/";
    }
    return `invalid name component ${JSON.stringify(part)}`;
  }
  return undefined;
}

/** The rule the actions break, if any. */
function actionsRule(actions: readonly string[]): string | undefined {
  for (const action of actions) {
    if (action === "") return "empty action";
    if (!ACTION.test(action)) {
      return `invalid action ${
        JSON.stringify(action)
      } (must be "*" or match [a-z][a-z0-9_-]*)`;
    }
  }
  return undefined;
}

function scopeRule(scope: Scope): string | undefined {
  return typeRule(scope.type) ?? nameRule(scope.name) ??
    actionsRule(scope.actions);
}

/** Formats without checking. */
function join(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(",")}`;
}

/**
 * Parses one scope, `type:name:actions`.
 *
 * @param text The scope, e.g. `repository:library/alpine:pull,push`.
 * @returns The scope, actions as written (possibly none for `type:name:`).
 * @throws {InvalidScopeError} When the text is not a scope: missing parts, a
 * bad type, name or action, more than one `:` in the name, or more than 1024
 * characters.
 *
 * @example
 * ```ts
 * import { parseScope } from "jsr:@scope/docker-registry-client";
 *
 * console.log(parseScope("repository:localhost:5000/foo:pull,push"));
 * // { type: "repository", name: "localhost:5000/foo", actions: ["pull", "push"] }
 * ```
 */
export function parseScope(text: string): Scope {
  if (text.length > MAX_SCOPE_LENGTH) {
    throw new InvalidScopeError(
      text,
      `longer than ${MAX_SCOPE_LENGTH} characters`,
    );
  }
  const first = text.indexOf(":");
  const last = text.lastIndexOf(":");
  if (first === -1 || first === last) {
    throw new InvalidScopeError(text, "must be type:name:actions");
  }
  const actionsText = text.slice(last + 1);
  const scope: Scope = {
    type: text.slice(0, first),
    name: text.slice(first + 1, last),
    actions: actionsText === "" ? [] : actionsText.split(","),
  };
  const rule = scopeRule(scope);
  if (rule !== undefined) throw new InvalidScopeError(text, rule);
  return scope;
}

/**
 * Parses a space-separated list of scopes, as in a Bearer challenge's
 * `scope` param or an OAuth2 token request.
 *
 * @param text The scopes, separated by one or more spaces.
 * @returns The scopes in order; an empty array for blank text.
 * @throws {InvalidScopeError} When one scope does not parse (the error is
 * that scope's), or the text is longer than 16384 characters.
 *
 * @example
 * ```ts
 * import { parseScopes } from "jsr:@scope/docker-registry-client";
 *
 * const scopes = parseScopes("repository:a:pull repository:b:pull,push");
 * console.log(scopes.length); // 2
 * ```
 */
export function parseScopes(text: string): Scope[] {
  if (text.length > MAX_SCOPES_LENGTH) {
    throw new InvalidScopeError(
      text,
      `longer than ${MAX_SCOPES_LENGTH} characters`,
    );
  }
  return text.split(" ").filter((part) => part !== "").map(parseScope);
}

/**
 * Writes a scope as `type:name:actions`.
 *
 * @param scope The scope.
 * @returns The scope text, e.g. `repository:library/alpine:pull`.
 * @throws {InvalidScopeError} When the scope's type, name or actions break
 * the grammar (so that a malformed scope never reaches a token request).
 *
 * @example
 * ```ts
 * import { formatScope } from "jsr:@scope/docker-registry-client";
 *
 * console.log(formatScope({ type: "repository", name: "foo/bar", actions: ["pull", "push"] }));
 * // repository:foo/bar:pull,push
 * ```
 */
export function formatScope(scope: Scope): string {
  const text = join(scope);
  const rule = scopeRule(scope);
  if (rule !== undefined) throw new InvalidScopeError(text, rule);
  return text;
}

/**
 * Builds a `repository` scope.
 *
 * @param name The repository name, as the registry knows it (e.g.
 * `library/alpine`, not `alpine`).
 * @param actions The actions, e.g. `["pull"]` or `["pull", "push"]`.
 * @returns The scope, with a copy of `actions`.
 * @throws {InvalidScopeError} When the name or an action breaks the grammar.
 *
 * @example
 * ```ts
 * import { formatScope, repositoryScope } from "jsr:@scope/docker-registry-client";
 *
 * console.log(formatScope(repositoryScope("library/alpine", ["pull"])));
 * // repository:library/alpine:pull
 * ```
 */
export function repositoryScope(
  name: string,
  actions: readonly string[],
): Scope {
  const scope: Scope = { type: "repository", name, actions: [...actions] };
  const rule = nameRule(name) ?? actionsRule(scope.actions);
  if (rule !== undefined) throw new InvalidScopeError(join(scope), rule);
  return scope;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareActions(a: string, b: string): number {
  const ia = CANONICAL_ACTIONS.indexOf(a);
  const ib = CANONICAL_ACTIONS.indexOf(b);
  if (ia !== -1 || ib !== -1) {
    if (ia === -1) return 1;
    if (ib === -1) return -1;
    return ia - ib;
  }
  return compareStrings(a, b);
}

/**
 * Merges scopes into one scope per resource (type and name): the union of
 * their actions, without duplicates, `*` absorbing every other action.
 *
 * The order is deterministic: by type, then name (code-unit order); actions
 * `pull`, `push`, `delete`, then the others sorted.
 *
 * @param scopes Scopes, or scope texts (each may be a space-separated list).
 * @returns The merged scopes; new objects, the inputs are not changed.
 * @throws {InvalidScopeError} When a text does not parse or a scope breaks
 * the grammar.
 *
 * @example
 * ```ts
 * import { formatScope, mergeScopes } from "jsr:@scope/docker-registry-client";
 *
 * const merged = mergeScopes(["repository:a:push", "repository:a:pull", "registry:catalog:*"]);
 * console.log(merged.map(formatScope)); // [ "registry:catalog:*", "repository:a:pull,push" ]
 * ```
 */
export function mergeScopes(scopes: readonly (Scope | string)[]): Scope[] {
  const byResource = new Map<string, { scope: Scope; actions: Set<string> }>();
  const add = (scope: Scope) => {
    const rule = scopeRule(scope);
    if (rule !== undefined) throw new InvalidScopeError(join(scope), rule);
    // The type holds no ':', so the first ':' ends it: the key is unambiguous.
    const key = `${scope.type}:${scope.name}`;
    let entry = byResource.get(key);
    if (entry === undefined) {
      entry = {
        scope: { type: scope.type, name: scope.name, actions: [] },
        actions: new Set(),
      };
      byResource.set(key, entry);
    }
    for (const action of scope.actions) entry.actions.add(action);
  };
  for (const item of scopes) {
    if (typeof item === "string") parseScopes(item).forEach(add);
    else add(item);
  }
  const merged = [...byResource.values()].map(({ scope, actions }) => {
    scope.actions = actions.has("*")
      ? ["*"]
      : [...actions].sort(compareActions);
    return scope;
  });
  return merged.sort((a, b) =>
    compareStrings(a.type, b.type) || compareStrings(a.name, b.name)
  );
}

/**
 * Tells whether granted scopes allow everything wanted: every wanted action
 * is granted for the same type and name, or `*` is granted for it. A wanted
 * scope with no actions is always covered.
 *
 * @param granted The scopes a token holds.
 * @param wanted The scopes a request needs.
 * @returns `true` when `granted` covers `wanted`.
 *
 * @example
 * ```ts
 * import { parseScopes, scopesCover } from "jsr:@scope/docker-registry-client";
 *
 * const granted = parseScopes("repository:a:pull,push registry:catalog:*");
 * console.log(scopesCover(granted, parseScopes("repository:a:pull"))); // true
 * console.log(scopesCover(granted, parseScopes("repository:b:pull"))); // false
 * ```
 */
export function scopesCover(
  granted: readonly Scope[],
  wanted: readonly Scope[],
): boolean {
  const actions = new Map<string, Set<string>>();
  for (const scope of granted) {
    const key = `${scope.type}:${scope.name}`;
    let set = actions.get(key);
    if (set === undefined) actions.set(key, set = new Set());
    for (const action of scope.actions) set.add(action);
  }
  for (const scope of wanted) {
    const set = actions.get(`${scope.type}:${scope.name}`);
    for (const action of scope.actions) {
      if (set === undefined || !(set.has("*") || set.has(action))) {
        return false;
      }
    }
  }
  return true;
}
