import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalTransport } from './local.transport';
import { TransportError } from './transport.port';

describe('LocalTransport', () => {
  let dir: string;
  const t = new LocalTransport({ defaultTimeoutMs: 10_000 });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uws-lt-'));
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a command and returns code, stdout and stderr', async () => {
    expect(await t.exec('echo out; echo err >&2; exit 3')).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('feeds stdin', async () => {
    expect((await t.exec('tr a-z A-Z', { stdin: 'hello' })).stdout).toBe('HELLO');
  });

  it('kills the whole command on timeout and rejects clearly', async () => {
    const t0 = Date.now();
    const err = await t.exec('sleep 5 & sleep 5; wait', { timeoutMs: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/timed out after 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('writes, reads, lists, copies and removes files', async () => {
    const sub = path.join(dir, 'a', 'b');
    await t.mkdirp(sub);
    await t.mkdirp(sub);
    await t.writeFile(path.join(sub, 'f.sh'), 'echo hi', 0o700);
    expect((await t.readFile(path.join(sub, 'f.sh'))).toString()).toBe('echo hi');
    expect(fs.statSync(path.join(sub, 'f.sh')).mode & 0o777).toBe(0o700);
    await t.putFile(path.join(sub, 'f.sh'), path.join(sub, 'g.sh'));
    await t.getFile(path.join(sub, 'g.sh'), path.join(dir, 'x', 'y', 'h.sh'));
    expect(fs.readFileSync(path.join(dir, 'x', 'y', 'h.sh'), 'utf8')).toBe('echo hi');
    const names = (await t.list(sub)).map((e) => `${e.name}:${e.type}`).sort();
    expect(names).toEqual(['f.sh:file', 'g.sh:file']);
    await expect(t.readFile(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await t.remove(path.join(dir, 'a'));
    await t.remove(path.join(dir, 'a'));
    expect(fs.existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('refuses to remove shallow paths', async () => {
    await expect(t.remove('/tmp')).rejects.toThrow(/too shallow/);
  });
});
