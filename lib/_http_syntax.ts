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
