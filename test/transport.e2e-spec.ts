/**
 * SshTransport against a REAL sshd (test/cluster/start.sh: key-only sshd on 127.0.0.1:2222 for `uwsjob`).
 * Run: npx jest --selectProjects e2e -- test/transport.e2e-spec.ts   (as root: start.sh may start daemons)
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SshTransport } from '../src/execution/transport/ssh.transport';
import { TransportError } from '../src/execution/transport/transport.port';
import { ensureCluster, extraSshd, LocalCluster, sleep, sshTransportFor } from './cluster/cluster';

const EXTRA_PORT = Number(process.env.EXTRA_SSH_PORT ?? 2223);

jest.setTimeout(120_000);

describe('SshTransport (real sshd)', () => {
  let c: LocalCluster;
  let t: SshTransport;
  let scratch: string;
  let tmp: string;

  beforeAll(async () => {
    c = ensureCluster();
    t = sshTransportFor(c);
    scratch = `${c.remoteHome}/transport-e2e-${process.pid}`;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uws-tr-'));
  });

  afterAll(async () => {
    await t?.remove(scratch).catch(() => undefined);
    await t?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('connects with the key, checking the host key strictly, and runs commands', async () => {
    const t0 = performance.now();
    await t.connect();
    const connectMs = performance.now() - t0;
    const r = await t.exec('echo "$USER"; echo oops >&2; exit 7');
    expect(r).toEqual({ code: 7, stdout: `${c.user}\n`, stderr: 'oops\n' });
    expect((await t.exec('cat', { stdin: 'in\npiped' })).stdout).toBe('in\npiped');
    // latency of one exec on the open connection
    const lat: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await t.exec('true');
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `[figures] ssh2 connect ${connectMs.toFixed(0)} ms (stats: ${t.stats().lastConnectMs} ms); exec 'true' on the open connection: median ${lat[15].toFixed(1)} ms, max ${lat[29].toFixed(1)} ms`,
    );
    expect(t.stats()).toMatchObject({ state: 'ready', connects: 1 });
  });

  it('multiplexes parallel execs over the one connection, at most maxChannels at once', async () => {
    const t8 = sshTransportFor(c, { maxChannels: 8 });
    try {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, t8.stats().activeChannels)), 5);
      const t0 = Date.now();
      const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => t8.exec(`sleep 0.2; echo ${i}`)));
      const took = Date.now() - t0;
      clearInterval(sampler);
      expect(outs.map((o) => o.stdout.trim())).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
      expect(peak).toBe(8);
      // 40 commands of 0.2 s, 8 at a time: 5 rounds (≈1 s), not 40 × 0.2 s
      expect(took).toBeGreaterThanOrEqual(1000);
      expect(took).toBeLessThan(4000);
      expect(t8.stats()).toMatchObject({ connects: 1, activeChannels: 0, queuedChannels: 0 });
    } finally {
      await t8.close();
    }
  });

  it('moves files over SFTP: mkdir -p, write with mode, read, list, streamed put/get, remove', async () => {
    const dir = `${scratch}/a/b/c`;
    await t.mkdirp(dir);
    await t.mkdirp(dir); // idempotent
    const script = '#!/bin/bash\necho "it\'s $1"\n';
    await t.writeFile(`${dir}/run.sh`, script, 0o700);
    expect((await t.readFile(`${dir}/run.sh`)).toString()).toContain("it's");
    expect((await t.exec(`bash ${dir}/run.sh ok`)).stdout).toBe("it's ok\n");
    const big = randomBytes(5 * 1024 * 1024 + 123);
    fs.writeFileSync(path.join(tmp, 'big.bin'), big);
    await t.putFile(path.join(tmp, 'big.bin'), `${dir}/big.bin`);
    const sha = (await t.exec(`sha256sum ${dir}/big.bin`)).stdout.split(' ')[0];
    expect(sha).toBe(createHash('sha256').update(big).digest('hex'));
    await t.getFile(`${dir}/big.bin`, path.join(tmp, 'back', 'big.bin'));
    expect(fs.readFileSync(path.join(tmp, 'back', 'big.bin')).equals(big)).toBe(true);
    const list = (await t.list(dir)).sort((a, b) => a.name.localeCompare(b.name));
    expect(list.map((e) => [e.name, e.type, e.size, e.mode])).toEqual([
      ['big.bin', 'file', big.length, 0o644],
      ['run.sh', 'file', Buffer.byteLength(script), 0o700],
    ]);
    await expect(t.readFile(`${dir}/missing`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.list(`${dir}/missing`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await t.remove(`${scratch}/a`);
    await t.remove(`${scratch}/a`); // idempotent
    await expect(t.list(`${scratch}/a`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects a command that exceeds its timeout, closes its channel and keeps the connection usable', async () => {
    const t0 = Date.now();
    const err = await t.exec('sleep 31.5', { timeoutMs: 500 }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/command timed out after 500 ms on ssh:\/\/uwsjob@127\.0\.0\.1:2222.*sleep 31\.5/);
    expect(Date.now() - t0).toBeLessThan(1500);
    await sleep(200);
    // the remote command was killed (signal request), and its channel is gone
    expect(t.stats().activeChannels).toBe(0);
    expect((await t.exec("pgrep -u \"$USER\" -f 'sleep 31[.]5' || echo none")).stdout).toBe('none\n');
    // the slot comes back: many commands still run, on the same connection
    const outs = await Promise.all(Array.from({ length: 16 }, () => t.exec('echo ok')));
    expect(outs.every((o) => o.stdout === 'ok\n')).toBe(true);
    expect(t.stats().connects).toBe(1);
    await sleep(200);
    expect(t.stats().activeChannels).toBe(0);
  });

  it('refuses a server whose host key differs from known_hosts, or is unknown, or does not match a pinned fingerprint', async () => {
    const other = fs.readFileSync(c.knownHostsPath, 'utf8').replace(/AAAA\S+/, 'AAAAC3NzaC1lZDI1NTE5AAAAIOSJU9Per6eKX1dLuhrrAO4mahlJrsXMDOY0cNVQjUMq');
    const changed = path.join(tmp, 'known_hosts.changed');
    fs.writeFileSync(changed, other);
    const t1 = sshTransportFor(c, { knownHostsPath: changed });
    const e1 = await t1.exec('true', { timeoutMs: 5000 }).catch((e) => e);
    await t1.close();
    expect(e1).toBeInstanceOf(TransportError);
    expect(e1.code).toBe('HOST_KEY');
    expect(e1.message).toMatch(/HOST KEY MISMATCH for \[127\.0\.0\.1\]:2222: the server presented ssh-ed25519 SHA256:/);

    const unknown = path.join(tmp, 'known_hosts.other-host');
    fs.writeFileSync(unknown, fs.readFileSync(c.knownHostsPath, 'utf8').replace('[127.0.0.1]:2222', '[127.0.0.1]:2223'));
    const t2 = sshTransportFor(c, { knownHostsPath: unknown });
    const e2 = await t2.exec('true', { timeoutMs: 5000 }).catch((e) => e);
    await t2.close();
    expect(e2.code).toBe('HOST_KEY');
    expect(e2.message).toMatch(/no key for \[127\.0\.0\.1\]:2222 in .*known_hosts\.other-host/);

    const t3 = sshTransportFor(c, { knownHostsPath: undefined, hostKeyFingerprint: 'SHA256:RE282ZcWtmIjZLkL82LKbWX6LTdYHYTqS3C9qXvIh/s' });
    const e3 = await t3.exec('true', { timeoutMs: 5000 }).catch((e) => e);
    await t3.close();
    expect(e3.code).toBe('HOST_KEY');
    expect(e3.message).toMatch(/not the pinned fingerprint/);

    const t4 = sshTransportFor(c, { knownHostsPath: undefined, hostKeyFingerprint: c.hostKeyFingerprint });
    expect((await t4.exec('echo pinned')).stdout).toBe('pinned\n');
    await t4.close();
  });

  it('refuses a key the server does not accept', async () => {
    const keyFile = path.join(tmp, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const t5 = sshTransportFor(c, { privateKeyPath: keyFile });
    const e = await t5.exec('true', { timeoutMs: 5000 }).catch((x) => x);
    await t5.close();
    expect(e.code).toBe('AUTH');
  });

  it('reconnects with back-off after sshd is restarted; commands issued meanwhile wait for it', async () => {
    // a second sshd started like start.sh's (same user and host key), so the shared one stays undisturbed
    const knownHosts = extraSshd('start', EXTRA_PORT);
    const r = sshTransportFor(c, { port: EXTRA_PORT, knownHostsPath: knownHosts, reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 1000 });
    try {
      expect((await r.exec('echo before')).stdout).toBe('before\n');
      const running = r.exec('sleep 20; echo never', { timeoutMs: 30_000 }).catch((e) => e);
      const idempotent = r.exec('sleep 1; echo again', { timeoutMs: 30_000, idempotent: true });
      await sleep(300);
      extraSshd('stop', EXTRA_PORT); // the listener and every open connection, as in a server restart
      const dropped = await running;
      expect(dropped).toBeInstanceOf(TransportError);
      expect(dropped.code).toBe('DISCONNECTED');
      expect(dropped.message).toMatch(/dropped while the operation ran/);
      // issued while sshd is down: they wait for the reconnection instead of failing
      const t0 = Date.now();
      const waiting = r.exec('echo after', { timeoutMs: 30_000 });
      const fileWaiting = r.readFile(`${c.remoteHome}/.ssh/authorized_keys`);
      await sleep(1500);
      expect(r.stats().state).not.toBe('ready');
      extraSshd('start', EXTRA_PORT);
      const up = Date.now();
      expect((await waiting).stdout).toBe('after\n');
      const served = Date.now();
      expect((await fileWaiting).length).toBeGreaterThan(0);
      expect((await idempotent).stdout).toBe('again\n'); // an idempotent command is run again after the drop
      const s = r.stats();
      console.log(
        `[figures] sshd down ${up - t0} ms; the waiting command was served ${served - up} ms after sshd was back (back-off 100 ms doubling, max 1 s); stats ${JSON.stringify(s)}`,
      );
      expect(s.connects).toBe(2);
      expect(s.disconnects).toBe(1);
      expect(s.failedAttempts).toBeGreaterThan(0);
      // a command that cannot get a connection within its timeout fails clearly
      extraSshd('stop', EXTRA_PORT);
      await sleep(300);
      const e = await r.exec('true', { timeoutMs: 700 }).catch((x) => x);
      expect(e.code).toBe('TIMEOUT');
      expect(e.message).toMatch(new RegExp(`no connection to ssh://uwsjob@127\\.0\\.0\\.1:${EXTRA_PORT} within .*last error: cannot connect.*ECONNREFUSED`));
    } finally {
      await r.close();
      extraSshd('stop', EXTRA_PORT);
    }
  });

  it("stays within sshd's default MaxSessions (10): 8 exec channels + the SFTP session, the rest queued", async () => {
    const knownHosts = extraSshd('start', EXTRA_PORT);
    const r = sshTransportFor(c, { port: EXTRA_PORT, knownHostsPath: knownHosts, maxChannels: 8 });
    try {
      const dir = `${scratch}/sessions`;
      await r.mkdirp(dir);
      const execs = Array.from({ length: 60 }, (_, i) => r.exec(`sleep 0.05; echo ${i}`));
      const files = Array.from({ length: 30 }, (_, i) => r.writeFile(`${dir}/f${i}`, `content ${i}`).then(() => r.readFile(`${dir}/f${i}`)));
      const outs = await Promise.all(execs);
      const reads = await Promise.all(files);
      expect(outs.map((o) => o.stdout)).toEqual(Array.from({ length: 60 }, (_, i) => `${i}\n`));
      expect(reads.map((b) => b.toString())).toEqual(Array.from({ length: 30 }, (_, i) => `content ${i}`));
      expect(r.stats()).toMatchObject({ connects: 1, disconnects: 0 });
    } finally {
      await r.close();
      extraSshd('stop', EXTRA_PORT);
    }
  });

  it('refuses everything after close()', async () => {
    const x = sshTransportFor(c);
    await x.exec('true');
    await x.close();
    await expect(x.exec('true')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(x.readFile('/etc/hostname')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
