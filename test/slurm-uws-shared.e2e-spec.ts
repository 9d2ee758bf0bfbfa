/**
 * SLURM_FILE_MODE=shared on the REAL local cluster: the host's DATA_DIR is the jobs' work directory on the
 * cluster (here: the same machine), nothing is copied over sftp.
 *
 * Shared mode needs the host and the cluster's jobs to be the SAME account (as on a real shared file
 * system): the host writes the wrapper and body with mode 0700 and the work folders with its umask, and the
 * job (as the SSH user) must read them and write its files beside them. A host running as root with a
 * world-writable DATA_DIR is therefore not enough (sbatch, run as `uwsjob`, cannot even open the wrapper):
 * the second test pins that this fails cleanly. The first runs the server as `uwsjob` itself.
 * Run: npx jest --selectProjects e2e -- test/slurm-uws   (as root: start.sh may start the daemons; the
 * server is spawned as uwsjob)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureCluster, LocalCluster } from './cluster/cluster';
import { accountIds, ClusterShell, jobIdOf, jobInfoValue, rmrf, slurmEnv, spawnServerAs } from './support/slurm-uws';
import { killServer, RunningApp, ServerProcess, startApp, tempDir, testEnv } from './support/test-app';
import { UwsClient, xmlValue } from './support/uws-client';

jest.setTimeout(90_000);

const WORDS = 'alpha beta alpha\ngamma alpha beta\n';

describe('UWS on SLURM in shared file mode', () => {
  let cluster: LocalCluster;
  let sh: ClusterShell;
  let server: ServerProcess | undefined;
  let app: RunningApp | undefined;
  const dirs: string[] = [];

  beforeAll(() => {
    cluster = ensureCluster();
    sh = new ClusterShell(cluster);
  });

  afterAll(async () => {
    await killServer(server);
    await app?.close().catch(() => undefined);
    await sh?.cleanup().catch(() => undefined);
    for (const d of dirs) rmrf(d);
  });

  /** A world-writable temp folder (0777), as the cluster user must write into it. */
  function openDir(prefix: string): string {
    const d = tempDir(prefix);
    fs.chmodSync(d, 0o777);
    dirs.push(d);
    return d;
  }

  test('with the server running as the cluster account, jobs work in DATA_DIR itself', async () => {
    const acct = accountIds(cluster.user);
    const dataDir = openDir('uws-shared-');
    // the server's own copies of the key and known_hosts, readable by the account it runs as
    const keys = openDir('uws-shared-keys-');
    fs.copyFileSync(cluster.keyPath, path.join(keys, 'key'));
    fs.copyFileSync(cluster.knownHostsPath, path.join(keys, 'known_hosts'));
    for (const f of ['key', 'known_hosts']) fs.chownSync(path.join(keys, f), acct.uid, acct.gid);
    fs.chmodSync(path.join(keys, 'key'), 0o600);
    const env = slurmEnv(cluster, {
      SLURM_FILE_MODE: 'shared',
      SLURM_SSH_KEY: path.join(keys, 'key'),
      SLURM_KNOWN_HOSTS: path.join(keys, 'known_hosts'),
      DATA_DIR: dataDir,
    });
    server = await spawnServerAs(await testEnv(env), acct);
    const c = new UwsClient(server.baseUrl);

    // 1. a job completes; its files were written by the job, as the cluster user, straight into DATA_DIR
    const url = await c.create('sleep', { duration: '1', message: 'shared-fs', PHASE: 'RUN' });
    const id = sh.track(url);
    expect(await c.settle(url, 60)).toBe('COMPLETED');
    const workdir = path.join(dataDir, 'jobs', id);
    const slurmId = jobInfoValue((await c.get(url)).text, 'externalId')!;
    expect((await sh.scontrol(slurmId)).WorkDir).toBe(workdir);
    for (const f of ['report.txt', '.uws/exit', '.uws/stdout.txt', '.uws/results.tsv']) {
      const st = fs.statSync(path.join(workdir, f));
      expect(st.uid).toBe(acct.uid);
    }
    expect(fs.readFileSync(path.join(workdir, '.uws/exit'), 'utf8').trim()).toBe('0');
    expect((await c.get(`${url}/results/report`)).text).toBe('slept 1 s\nmessage: shared-fs\n');
    // nothing went to the sftp work root
    expect((await sh.ssh.exec(`test -e ${env.SLURM_REMOTE_ROOT}/${id}`)).code).not.toBe(0);

    // 2. an uploaded input file is read where the host stored it
    const fd = new FormData();
    fd.append('infile', new Blob([WORDS], { type: 'text/plain' }), 'w.txt');
    fd.append('top', '2');
    fd.append('PHASE', 'RUN');
    const wc = await c.create('wordcount', fd);
    sh.track(wc);
    expect(await c.settle(wc, 60)).toBe('COMPLETED');
    expect((await c.get(`${wc}/results/counts`)).text).toBe(`lines 2\nwords 6\nbytes ${WORDS.length}\n`);
    expect((await c.get(`${wc}/results/frequencies`)).text).toBe('alpha\t3\nbeta\t2\n');

    // 3. a failure keeps its exit code and stderr tail
    const bad = await c.create('sleep', { duration: '0', fail: 'true', exitcode: '4', message: 'shared-boom', PHASE: 'RUN' });
    sh.track(bad);
    expect(await c.settle(bad, 60)).toBe('ERROR');
    expect(xmlValue((await c.get(bad)).text, 'message')).toMatch(/\b4\b/);
    expect((await c.get(`${bad}/error`)).text).toContain('shared-boom');
  });

  test('a server that is not the cluster account (root, world-writable DATA_DIR) fails jobs at once, saying why', async () => {
    const dataDir = openDir('uws-shared-root-');
    app = await startApp(slurmEnv(cluster, { SLURM_FILE_MODE: 'shared', DATA_DIR: dataDir }));
    const c = new UwsClient(app.baseUrl);
    const url = await c.create('sleep', { duration: '1', PHASE: 'RUN' });
    sh.track(url);
    expect(await c.settle(url, 30)).toBe('ERROR');
    // the wrapper is root's, mode 0700: sbatch (as uwsjob) cannot open it
    expect(xmlValue((await c.get(url)).text, 'message')).toMatch(/sbatch refused the job.*Unable to open file .*wrapper\.sh/);
    expect(jobIdOf(url)).toBeTruthy();
  });
});
