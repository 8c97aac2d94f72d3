// Private: the RFC 9110 pieces shared by the WWW-Authenticate and Link
// parsers: token characters, control characters, quoted strings, and
// own-property params.

export const HTAB = 0x09;
export const SP = 0x20;
export const DQUOTE = 0x22;
export const COMMA = 0x2c;
export const EQUALS = 0x3d;
export const BACKSLASH = 0x5c;

/** RFC 9110 tchar. */
export function isTchar(c: number): boolean {
  if (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39)
  ) return true;
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true;
    default:
      return false;
  }
}

/** Control characters, HTAB excepted. */
export function isCtl(c: number): boolean {
  return (c < 0x20 && c !== HTAB) || c === 0x7f;
}

/**
 * Reads the quoted-string that opens at `open` (a `"`), unescaping `\x`.
 * Returns the value and the position after the closing quote, or the rule
 * broken (unterminated, control character) for the caller to raise.
 */
export function readQuotedString(
  s: string,
  open: number,
): { value: string; end: number } | { rule: string } {
  let p = open + 1;
  let chunk = p;
  let out = "";
  while (p < s.length) {
    const c = s.charCodeAt(p);
    if (c === DQUOTE) return { value: out + s.slice(chunk, p), end: p + 1 };
    if (c === BACKSLASH) {
      if (p + 1 >= s.length) break;
      if (isCtl(s.charCodeAt(p + 1))) {
        return { rule: `control character in quoted string at ${p + 1}` };
      }
      out += s.slice(chunk, p) + s[p + 1];
      p += 2;
      chunk = p;
      continue;
    }
    if (isCtl(c)) return { rule: `control character in quoted string at ${p}` };
    p++;
  }
  return { rule: `unterminated quoted string at ${open}` };
}

/** Defines an own, enumerable property, even one named `__proto__`. */
export function setOwn(
  target: Record<string, string>,
  key: string,
  value: string,
): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The position after optional whitespace (OWS) from `p`. */
export function skipOws(s: string, p: number): number {
  while (p < s.length) {
    const c = s.charCodeAt(p);
    if (c !== SP && c !== HTAB) break;
    p++;
  }
  return p;
}

/** The position after whitespace and commas (gaps between list elements). */
export function skipListGaps(s: string, p: number): number {
  while (p < s.length) {
    const c = s.charCodeAt(p);
    if (c !== SP && c !== HTAB && c !== COMMA) break;
    p++;
  }
  return p;
}

/** The position after the run of tchars from `p` (`p` itself when none). */
export function skipToken(s: string, p: number): number {
  while (p < s.length && isTchar(s.charCodeAt(p))) p++;
  return p;
}

/**
 * Reads a param name (`1*tchar`) at `p`: its end, or — when there is none —
 * the rule broken, naming what was found instead.
 */
export function readParamName(
  s: string,
  p: number,
): { end: number } | { rule: string } {
  const end = skipToken(s, p);
  if (end > p) return { end };
  const c = s.charCodeAt(p);
  if (c === EQUALS) return { rule: `'=' without a param name at ${p}` };
  if (c === DQUOTE) {
    return { rule: `quoted string without a param name at ${p}` };
  }
  return { rule: `unexpected character ${JSON.stringify(s[p])} at ${p}` };
}

/** Reads a param value (`token / quoted-string`) at `p`, unescaped. */
export function readParamValue(
  s: string,
  p: number,
): { value: string; end: number } | { rule: string } {
  if (s.charCodeAt(p) === DQUOTE) return readQuotedString(s, p);
  const end = skipToken(s, p);
  if (end === p) return { rule: `param value missing at ${p}` };
  return { value: s.slice(p, end), end };
}
