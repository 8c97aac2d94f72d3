// Private: the registry host of a reference, as docker's reference
// package (distribution/reference) has it — `domainAndPort`: DNS-like
// components, or `[` hex digits and colons `]`, then an optional `:port` of
// digits — and how a name's first component is told to be a host
// (`splitDockerDomain`), plus the earlier clients' looks-like-a-host rule
// for an index given on its own.

import { InvalidReferenceError } from "../errors.ts";
import {
  COLON,
  DASH,
  DOT,
  isAlnum,
  isDigit,
  isHex,
  OPEN_BRACKET,
} from "./_ascii.ts";

function fail(input: string, rule: string): never {
  throw new InvalidReferenceError("index", input, rule);
}

/**
 * Whether `text` (between brackets) is an IPv6 address as docker's grammar
 * has it: one or more hex digits and colons (`\[(?:[a-fA-F0-9:]+)\]`), so
 * zones and embedded IPv4 (`::ffff:1.2.3.4`) are refused.
 */
function isIPv6(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isHex(c) && c !== COLON) return false;
  }
  return true;
}

function checkDomainName(input: string, name: string): void {
  if (name.length === 0) fail(input, "host must not be empty");
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i === name.length ? DOT : name.charCodeAt(i);
    if (c === DOT) {
      if (i === start) {
        fail(input, "host name components must not be empty");
      }
      if (
        name.charCodeAt(start) === DASH || name.charCodeAt(i - 1) === DASH
      ) {
        fail(
          input,
          "host name components must not start or end with '-'",
        );
      }
      start = i + 1;
    } else if (!isAlnum(c) && c !== DASH) {
      if (c === 0x40 /* @ */) {
        fail(input, "must not contain credentials (user@host)");
      }
      fail(
        input,
        "host name may contain only letters, digits, '-' and '.'",
      );
    }
  }
}

/** docker's `optionalPort`: `:` and one or more digits, nothing more. */
function checkPort(input: string, port: string): void {
  let ok = port.length >= 1;
  for (let i = 0; ok && i < port.length; i++) {
    ok = isDigit(port.charCodeAt(i));
  }
  if (!ok) fail(input, "port must be one or more digits");
}

/** Validates `host[:port]`: a DNS name, an IPv4 address or `[IPv6]`. */
export function checkHost(input: string, host: string): void {
  let hostEnd: number;
  if (host.charCodeAt(0) === OPEN_BRACKET) {
    const close = host.indexOf("]");
    if (close === -1) {
      fail(input, "IPv6 address must be closed with ']'");
    }
    if (!isIPv6(host.slice(1, close))) {
      fail(
        input,
        "an IPv6 address between '[' and ']' may contain only hex digits and ':'",
      );
    }
    hostEnd = close + 1;
    if (hostEnd < host.length && host.charCodeAt(hostEnd) !== COLON) {
      fail(input, "only ':port' may follow an IPv6 address");
    }
  } else {
    const colon = host.indexOf(":");
    hostEnd = colon === -1 ? host.length : colon;
    checkDomainName(input, host.slice(0, hostEnd));
  }
  if (hostEnd < host.length) checkPort(input, host.slice(hostEnd + 1));
}

/**
 * The earlier clients' rule for an index given on its own or after a scheme:
 * it must contain `.` or `:`, or be `localhost`.
 */
export function checkLooksLikeHost(input: string, host: string): void {
  if (!host.includes(".") && !host.includes(":") && host !== "localhost") {
    fail(
      input,
      "must look like a host: contain '.' or ':', or be 'localhost'",
    );
  }
}

/**
 * Whether a name's first component is a registry host rather than a path,
 * as docker's `splitDockerDomain` decides: it holds `.` or `:`, is
 * `localhost`, or has an upper-case letter (paths are lowercase). A name
 * starting with `[`, an IPv6 address, is dealt with before.
 */
export function isHostComponent(component: string): boolean {
  return component.includes(".") || component.includes(":") ||
    component === "localhost" || component !== component.toLowerCase();
}
