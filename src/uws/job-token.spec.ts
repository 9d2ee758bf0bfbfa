import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobTokens } from './job-token';

describe('JobTokens', () => {
  it('accepts a job its own token and refuses it for any other job', () => {
    const t = new JobTokens('s3cret', '/nonexistent');
    const tok = t.tokenFor('abc');
    expect(t.verify('abc', tok)).toBe(true);
    expect(t.verify('abd', tok)).toBe(false);
    expect(t.verify('abc', tok.slice(1))).toBe(false);
    expect(t.verify('abc', '')).toBe(false);
  });

  it('keeps a generated key across instances (restarts)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-'));
    const a = new JobTokens(undefined, dir).tokenFor('j');
    expect(new JobTokens(undefined, dir).tokenFor('j')).toBe(a);
    expect(fs.statSync(path.join(dir, 'callback.key')).mode & 0o777).toBe(0o600);
  });
});
