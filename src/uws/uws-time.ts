/**
 * UWS times: one formatter for every place a time is written (XML, JSON, text/plain resources), because
 * clients require /destruction to be string-identical to <uws:destruction>; and one lenient ISO 8601
 * parser for input (DESTRUCTION=, AFTER=), since clients send many shapes of "ISO".
 */

/** ISO 8601 UTC with milliseconds and `Z`, e.g. `2009-05-19T17:01:44.038Z`. */
export function formatUwsTime(d: Date): string {
  return d.toISOString();
}

// Calendar date: extended (YYYY, YYYY-MM, YYYY-MM-DD) or basic (YYYYMMDD). Basic YYYYMM is not ISO.
const DATE = String.raw`(\d{4})(?:-(\d{2})(?:-(\d{2}))?|(\d{2})(\d{2}))?`;
// Time of day: extended (HH, HH:MM, HH:MM:SS) or basic (HHMM, HHMMSS); seconds may carry a fraction.
const TIME = String.raw`(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?|(\d{2})(?:(\d{2})(?:[.,](\d+))?)?)?`;
// A single space is accepted as the date/time separator (`2015-10-26 09:00`), but the zone must follow
// the time directly: `09:00 01:00` is a `+` that was decoded into a space, and guessing its sign is wrong.
const ZONE = String.raw`(Z|[+-]\d{2}(?::?\d{2})?)`;
const INSTANT = new RegExp(`^${DATE}(?:[Tt ]${TIME}${ZONE}?)?$`, 'i');

/**
 * Parse a lenient ISO 8601 instant; no zone means UTC; fractions finer than a millisecond are truncated.
 * Returns undefined for anything malformed or out of range (Feb 30, hour 24/25, minute 60, leap seconds).
 */
export function parseUwsInstant(text: string): Date | undefined {
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [, y, extMonth, extDay, basicMonth, basicDay] = m;
  const [extHour, extMin, extSec, extFrac, basicMin, basicSec, basicFrac, zone] = m.slice(6);

  const year = Number(y);
  const month = num(extMonth ?? basicMonth, 1);
  const day = num(extDay ?? basicDay, 1);
  const hour = num(extHour, 0);
  const minute = num(extMin ?? basicMin, 0);
  const second = num(extSec ?? basicSec, 0);
  const frac = extFrac ?? basicFrac;
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));

  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;

  const offsetMinutes = parseOffset(zone);
  if (offsetMinutes === undefined) return undefined;

  // Date.UTC maps years 0..99 to 1900..1999, so set the full year explicitly.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millis);
  return new Date(d.getTime() - offsetMinutes * 60_000);
}

function num(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : Number(text);
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Zone designator → minutes east of UTC; absent means UTC. Undefined when out of range. */
function parseOffset(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  const sign = zone[0] === '-' ? -1 : 1;
  return sign * (hours * 60 + minutes);
}
