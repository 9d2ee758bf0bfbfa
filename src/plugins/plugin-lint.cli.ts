import * as path from 'node:path';
import { loadPlugin } from './plugin.loader';

/**
 * `npm run plugin:lint -- plugins/<type> [...]`: prints every problem of each plugin folder as
 * file:line: severity: message, and exits 1 when any folder has an error (so CI can gate on it).
 */
function main(argv: string[]): number {
  const dirs = argv.filter((a) => !a.startsWith('-'));
  if (dirs.length === 0) {
    console.error('usage: npm run plugin:lint -- plugins/<type> [plugins/<other> ...]');
    return 2;
  }
  let failed = false;
  for (const d of dirs) {
    const dir = path.resolve(d);
    const type = path.basename(dir);
    const entry = loadPlugin(dir, type);
    for (const m of entry.messages) {
      console.log(`${path.relative(process.cwd(), m.file) || m.file}:${m.line}: ${m.severity}: ${m.message}`);
    }
    const errors = entry.messages.filter((m) => m.severity === 'error').length;
    const warnings = entry.messages.length - errors;
    console.log(`${type}: ${entry.available ? 'ok' : 'unavailable'} (${errors} error(s), ${warnings} warning(s))`);
    if (!entry.available) failed = true;
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
