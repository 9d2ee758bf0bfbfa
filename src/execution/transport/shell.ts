/**
 * Shell quoting for commands the execution layer builds (execution may not import rendering, which has its
 * own helper for scripts). POSIX single quotes: inside '…' the shell interprets nothing, so the only
 * character to handle is the quote itself ('\'' closes, escapes one quote, reopens).
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  // Words made only of these characters mean the same quoted or not: keep commands readable in logs.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every word and joins them with spaces: `shellJoin(['rm', '-rf', '--', dir])`. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/**
 * A remote absolute path that is safe to hand to `rm -rf`, `mkdir -p`, SFTP: absolute, normalised (no `.`,
 * `..` or empty segments), no control characters, and at least `minDepth` segments deep (so `/` or `/home`
 * can never be removed by a bug). Returns the path unchanged; throws otherwise.
 */
export function checkRemotePath(p: string, minDepth = 1): string {
  if (typeof p !== 'string' || !p.startsWith('/')) throw new Error(`remote path must be absolute: ${JSON.stringify(p)}`);
  if (/[\0-\x1f\x7f]/.test(p)) throw new Error(`remote path contains a control character: ${JSON.stringify(p)}`);
  const segs = p.split('/').slice(1);
  if (p !== '/' && segs.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`remote path must be normalised (no empty, '.' or '..' segments): ${JSON.stringify(p)}`);
  }
  const depth = p === '/' ? 0 : segs.length;
  if (depth < minDepth) throw new Error(`remote path is too shallow (${depth} < ${minDepth} segments): ${JSON.stringify(p)}`);
  return p;
}

/** Joins POSIX path segments without normalising away `..` (callers validate with checkRemotePath). */
export function remoteJoin(...parts: string[]): string {
  return parts
    .filter((s) => s !== '')
    .join('/')
    .replace(/\/{2,}/g, '/');
}
