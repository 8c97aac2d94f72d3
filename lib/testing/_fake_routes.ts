/**
 * The route table of the fake registry: which handler answers which path
 * and method, and what access (token scope) each needs.
 *
 * @module
 */

import { STATUS_CODE } from "@std/http/status";
import type { Access } from "./_fake_auth.ts";
import { deleteBlob, getBlob } from "./_fake_blobs.ts";
import type { Context, Handler } from "./_fake_context.ts";
import { API_VERSION_HEADERS, json } from "./_fake_http.ts";
import { listCatalog, listReferrers, listTags } from "./_fake_listings.ts";
import { deleteManifest, getManifest, putManifest } from "./_fake_manifests.ts";
import {
  cancelUpload,
  finishUpload,
  patchUpload,
  startUpload,
  uploadStatus,
} from "./_fake_uploads.ts";

/** One route: a path pattern, its handlers by method, the access needed. */
export interface Route {
  pattern: RegExp;
  handlers: Readonly<Record<string, Handler>>;
  access: (ctx: Context) => Access[];
}

const repository = (name: string, actions: string[]): Access => ({
  type: "repository",
  name,
  actions,
});

const pullAccess = (ctx: Context) => [repository(ctx.name, ["pull"])];

const methodAccess = (ctx: Context) => [
  repository(
    ctx.name,
    ctx.method === "GET" || ctx.method === "HEAD"
      ? ["pull"]
      : ctx.method === "DELETE"
      ? ["delete"]
      : ["pull", "push"],
  ),
];

const uploadAccess = (ctx: Context) => {
  const access = [repository(ctx.name, ["pull", "push"])];
  const from = ctx.url.searchParams.get("from");
  if (ctx.url.searchParams.has("mount") && from && from !== ctx.name) {
    access.push(repository(from, ["pull"]));
  }
  return access;
};

const ping: Handler = () => json({}, STATUS_CODE.OK, API_VERSION_HEADERS);

export const ROUTES: readonly Route[] = [
  {
    pattern: /^\/v2\/$/,
    handlers: { GET: ping, HEAD: ping },
    access: () => [],
  },
  {
    pattern: /^\/v2\/_catalog$/,
    handlers: { GET: listCatalog },
    access: () => [{ type: "registry", name: "catalog", actions: ["*"] }],
  },
  {
    pattern: /^\/v2\/(?<name>.+)\/tags\/list$/,
    handlers: { GET: listTags },
    access: pullAccess,
  },
  {
    pattern: /^\/v2\/(?<name>.+)\/manifests\/(?<ref>[^/]+)$/,
    handlers: {
      GET: getManifest,
      HEAD: getManifest,
      PUT: putManifest,
      DELETE: deleteManifest,
    },
    access: methodAccess,
  },
  {
    pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/$/,
    handlers: { POST: startUpload },
    access: uploadAccess,
  },
  {
    pattern: /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<ref>[^/]+)$/,
    handlers: {
      GET: uploadStatus,
      PATCH: patchUpload,
      PUT: finishUpload,
      DELETE: cancelUpload,
    },
    access: uploadAccess,
  },
  {
    pattern: /^\/v2\/(?<name>.+)\/blobs\/(?<ref>[^/]+)$/,
    handlers: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob },
    access: methodAccess,
  },
  {
    pattern: /^\/v2\/(?<name>.+)\/referrers\/(?<ref>[^/]+)$/,
    handlers: { GET: listReferrers },
    access: pullAccess,
  },
];
