// Private: ASCII character classes and codes of the reference grammars
// (`reference.ts`, `_host.ts`), tested on char codes.

export const SLASH = 0x2f;
export const COLON = 0x3a;
export const DOT = 0x2e;
export const DASH = 0x2d;
export const UNDERSCORE = 0x5f;
export const OPEN_BRACKET = 0x5b;

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

export function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

export function isLowerHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66);
}

export function isHex(c: number): boolean {
  return isLowerHex(c) || (c >= 0x41 && c <= 0x46);
}

export function isAlnum(c: number): boolean {
  return isDigit(c) || isLower(c) || isUpper(c);
}
