/**
 * POSIX single-quote escaping: inside '…' the shell interprets nothing, so the only character to handle
 * is the quote itself ('\'' closes, escapes one quote, reopens). NUL cannot be passed to a shell at all.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
