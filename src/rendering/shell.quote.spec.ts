import { execFileSync } from 'node:child_process';
import { shellQuote } from './shell.quote';

/** Each hostile value must come back from a real bash unchanged and without having run anything. */
const hostile = [
  '$(touch /tmp/uws-pwned)',
  '`touch /tmp/uws-pwned`',
  'a; touch /tmp/uws-pwned',
  "it's",
  "'; touch /tmp/uws-pwned; '",
  '"double" and \\backslash',
  'line1\nline2\n$(id)',
  '',
  '*',
  '$HOME ${PATH} !!',
];

describe('shellQuote', () => {
  it.each(hostile)('round-trips %j through bash', (value) => {
    const out = execFileSync('bash', ['-c', `printf '%s' ${shellQuote(value)}`]).toString();
    expect(out).toBe(value);
  });

  it('refuses NUL', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});
