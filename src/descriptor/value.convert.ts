import type { ParamType } from './descriptor.types';

/**
 * Lexical form → typed value for each parameter type. Lives in `descriptor` because the WADL reader must check
 * its own defaults with exactly the rules that `parameters` applies to user input.
 */

export type Converted =
  | { ok: true; value: string | number | boolean; text: string }
  /** reason: a detail beyond "not a valid <type>", when there is one worth telling. */
  | { ok: false; reason?: string };

const INTEGER_RE = /^[+-]?\d+$/;
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** Date, optional time (T or space), optional fraction, optional zone. */
const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
// URL parsing silently drops tabs and newlines; refuse them so that what we validate is what the job gets.
const URL_FORBIDDEN_RE = /[\u0000-\u0020\u007f]/;

export const NUMERIC_TYPES: ReadonlySet<ParamType> = new Set(['int', 'long', 'integer', 'double', 'float']);

export function isNumericType(type: ParamType): boolean {
  return NUMERIC_TYPES.has(type);
}

const ok = (value: string | number | boolean, text: string): Converted => ({ ok: true, value, text });
const fail = (reason?: string): Converted => (reason === undefined ? { ok: false } : { ok: false, reason });

function convertInteger(raw: string, min: number, max: number, range: string): Converted {
  if (!INTEGER_RE.test(raw)) return fail();
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) return fail(`out of the ${range} range`);
  return ok(n, String(n));
}

function convertDecimal(raw: string): Converted {
  if (!DECIMAL_RE.test(raw)) return fail();
  const n = Number(raw);
  if (!Number.isFinite(n)) return fail('out of the double range');
  // -0 would echo as "0" anyway; normalise so equal values compare equal
  const value = Object.is(n, -0) ? 0 : n;
  return ok(value, String(value));
}

function convertBoolean(raw: string): Converted {
  const lower = raw.toLowerCase();
  if (lower === 'true' || raw === '1') return ok(true, 'true');
  if (lower === 'false' || raw === '0') return ok(false, 'false');
  return fail('expected true, false, 1 or 0');
}

function convertDateTime(raw: string): Converted {
  const m = DATETIME_RE.exec(raw);
  if (!m) return fail('expected ISO 8601, e.g. 2024-05-01T12:00:00Z');
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = frac ? Math.round(Number(`0${frac}`) * 1000) : 0;
  if (hour > 23 || minute > 59 || second > 59) return fail('time out of range');
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2024-02-30 over to March; a round trip exposes impossible dates
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return fail('no such date');
  }
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = Number(digits.slice(2));
    if (zh > 14 || zm > 59) return fail('time zone out of range');
    t -= sign * (zh * 60 + zm) * 60_000;
  }
  const iso = new Date(t).toISOString();
  return ok(iso, iso);
}

function convertUrl(raw: string): Converted {
  if (URL_FORBIDDEN_RE.test(raw)) return fail('contains spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('only http and https URLs are accepted');
  if (isInternalHost(url.hostname)) return fail('it points at a local or private address, which jobs may not fetch');
  return ok(raw, raw);
}

/**
 * The job fetches the URL from inside the service's network: loopback, link-local (cloud metadata), private
 * and unspecified addresses, and localhost names, are refused (a name resolving to one is the site's network
 * policy to stop).
 */
function isInternalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '') return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (h.includes(':')) {
    if (h === '::' || h === '::1') return true;
    if (/^f[cd][0-9a-f]{2}:/.test(h) || /^fe[89ab][0-9a-f]:/.test(h)) return true;
    // IPv4-mapped (::ffff:a.b.c.d, normalised by URL to hex) is refused outright rather than decoded.
    if (h.startsWith('::ffff:')) return true;
  }
  return false;
}

/** Convert one lexical value. Surrounding whitespace is ignored for all but string and file values. */
export function convertValue(type: ParamType, input: string): Converted {
  if (input.includes('\u0000')) return fail('contains a NUL byte');
  if (type === 'string' || type === 'file') return ok(input, input);
  const raw = input.trim();
  switch (type) {
    case 'int':
      return convertInteger(raw, INT32_MIN, INT32_MAX, '32-bit');
    case 'long':
    case 'integer':
      // beyond 2^53 a JS number would silently change the value
      return convertInteger(raw, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'safe integer (±2^53)');
    case 'double':
    case 'float':
      return convertDecimal(raw);
    case 'boolean':
      return convertBoolean(raw);
    case 'dateTime':
      return convertDateTime(raw);
    case 'anyURI':
      return convertUrl(raw);
  }
}

/**
 * A descriptor's pattern as an anchored RegExp: like XSD patterns, it must match the whole value.
 * Throws SyntaxError for an invalid pattern.
 */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}
