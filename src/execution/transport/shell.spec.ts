import { execFileSync } from 'node:child_process';
import { checkRemotePath, remoteJoin, shellJoin, shellQuote } from './shell';

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
  '-rf',
  '$HOME ${PATH} !!',
  '/home/uwsjob/uws-jobs/abc-123',
];

describe('transport shell quoting', () => {
  it.each(hostile)('round-trips %j through bash as one word', (value) => {
    const out = execFileSync('bash', ['-c', `printf '%s|' ${shellQuote(value)}`]).toString();
    expect(out).toBe(`${value}|`);
  });

  it('leaves plain words readable and joins words', () => {
    expect(shellQuote('/a/b-c_d.e')).toBe('/a/b-c_d.e');
    expect(shellJoin(['rm', '-rf', '--', "/x/it's"])).toBe("rm -rf -- '/x/it'\\''s'");
  });

  it('refuses NUL', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('accepts only absolute, normalised, deep enough remote paths', () => {
    expect(checkRemotePath('/home/u/jobs/1', 2)).toBe('/home/u/jobs/1');
    expect(checkRemotePath('/', 0)).toBe('/');
    for (const bad of ['relative/x', '/a/../b', '/a//b', '/a/./b', '/a/b/', '/a\nb', '']) {
      expect(() => checkRemotePath(bad)).toThrow();
    }
    expect(() => checkRemotePath('/home', 2)).toThrow(/too shallow/);
    expect(() => checkRemotePath('/', 1)).toThrow(/too shallow/);
  });

  it('joins remote paths', () => {
    expect(remoteJoin('/root/', 'job', '.uws/exit')).toBe('/root/job/.uws/exit');
  });
});
