/**
 * Users and access over the REST API, on the real application with ANONYMOUS_ACCESS=false: HTTP Basic
 * (name:token, name:password) and Bearer tokens, owner isolation on every job resource, per-user job lists,
 * the administrators' view, the per-user limit of active jobs, token revocation, the admin API and the CLI.
 */
import * as fs from 'node:fs';
import { killJobGroups, RunningApp, startApp, tempDir } from './support/test-app';
import { AuthClient, basic, bearer, listed, userCli } from './support/auth-client';

const ROOT_PASSWORD = 'root-password-1';
const TEXT = 'to be or not to be\n';

function upload(extra: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(extra)) fd.append(k, v);
  fd.append('infile', new Blob([TEXT], { type: 'text/plain' }), 'words.txt');
  return fd;
}

describe('authentication and access (ANONYMOUS_ACCESS=false)', () => {
  let app: RunningApp;
  let dataDir: string;
  let nobody: AuthClient;
  let admin: AuthClient;
  let alice: AuthClient;
  let bob: AuthClient;
  let aliceToken: string;
  const mk = (auth?: string) => new AuthClient(app.baseUrl, auth);

  /** An admin-created user and a token for them. */
  async function newUser(name: string, extra: Record<string, string> = {}): Promise<{ client: AuthClient; token: string; tokenId: string }> {
    const created = await admin.post('/admin/users', { name, ...extra });
    expect(created.status).toBe(201);
    const t = await admin.post(`/admin/users/${name}/tokens`, { label: 'tests' });
    expect(t.status).toBe(201);
    const { token, id } = JSON.parse(t.text) as { token: string; id: string };
    return { client: mk(basic(name, token)), token, tokenId: id };
  }

  beforeAll(async () => {
    dataDir = tempDir();
    // The first administrator comes from the command line, before the server runs.
    const added = await userCli(dataDir, ['add', 'root', '--admin', '--password-stdin'], `${ROOT_PASSWORD}\n`);
    expect(added.code).toBe(0);
    app = await startApp({ DATA_DIR: dataDir, ANONYMOUS_ACCESS: 'false', MAX_ACTIVE_JOBS_PER_USER: '4', SIGNIN_RATE_LIMIT: '1000/300' });
    nobody = mk();
    admin = mk(basic('root', ROOT_PASSWORD));
    const a = await newUser('alice');
    alice = a.client;
    aliceToken = a.token;
    bob = (await newUser('bob')).client;
  });
  afterAll(async () => {
    await app?.close();
    killJobGroups(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('credentials', () => {
    it('without credentials: 401 with a Basic challenge for REST clients, 303 to the sign-in page for browsers', async () => {
      for (const [method, p] of [['GET', '/rest'], ['GET', '/rest/sleep'], ['POST', '/rest/sleep'], ['GET', '/forms/sleep/description'], ['GET', '/admin/users']]) {
        const r = await nobody.req(method, p);
        expect([p, r.status]).toEqual([p, 401]);
        expect(r.headers.get('www-authenticate')).toBe('Basic realm="UWS Host"');
      }
      const page = await nobody.get('/forms/sleep', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
      expect(page.status).toBe(303);
      expect(page.location).toBe(`${app.baseUrl}/signin?next=${encodeURIComponent('/forms/sleep')}`);
    });

    it('HTTP Basic name:token, Bearer token and Basic name:password all work', async () => {
      expect((await alice.get('/rest/sleep')).status).toBe(200);
      expect((await mk(bearer(aliceToken)).get('/rest/sleep')).status).toBe(200);
      expect((await admin.get('/rest/sleep')).status).toBe(200);
      // The owner of a job created with a Bearer token is the token's user.
      const url = await mk(bearer(aliceToken)).create('sleep', { duration: '0' });
      expect((await alice.get(`${url}/owner`)).text).toBe('alice');
    });

    it('bad credentials: 401 with the challenge', async () => {
      const wrongSecret = aliceToken.slice(0, -2) + (aliceToken.endsWith('AA') ? 'BB' : 'AA');
      for (const auth of [
        basic('alice', wrongSecret),
        basic('bob', aliceToken), // alice's token under bob's name
        basic('alice', 'not-her-password'),
        basic('nobody', 'whatever-password'),
        basic('root', `${ROOT_PASSWORD}x`),
        bearer(wrongSecret),
        bearer('garbage'),
        'Basic !!!notbase64',
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
        'Digest username="alice"',
      ]) {
        const r = await mk(auth).get('/rest/sleep');
        expect([auth, r.status]).toEqual([auth, 401]);
        expect(r.headers.get('www-authenticate')).toBe('Basic realm="UWS Host"');
      }
    });

    it('the cluster callback needs no user: it checks its own per-job token', async () => {
      const r = await nobody.post('/callbacks/job-event', { jobId: 'nope', token: 'bad', phase: 'COMPLETED' });
      expect(r.status).toBe(403);
    });

    it('a token revoked through the admin API stops working at once; revoking twice is 404', async () => {
      const u = await newUser('erin');
      expect((await u.client.get('/rest/sleep')).status).toBe(200);
      expect((await mk(bearer(u.token)).get('/rest/sleep')).status).toBe(200);
      expect((await admin.req('DELETE', `/admin/tokens/${u.tokenId}`)).status).toBe(204);
      expect((await u.client.get('/rest/sleep')).status).toBe(401);
      expect((await mk(bearer(u.token)).get('/rest/sleep')).status).toBe(401);
      expect((await admin.req('DELETE', `/admin/tokens/${u.tokenId}`)).status).toBe(404);
    });

    it('users and tokens made with the CLI on the running server\'s database work, and CLI revocation too', async () => {
      expect((await userCli(dataDir, ['add', 'frank'])).code).toBe(0);
      const t = await userCli(dataDir, ['token', 'frank', 'cli']);
      expect(t.code).toBe(0);
      const token = t.out[0];
      expect(token).toMatch(/^[A-Za-z0-9]{12}\.[A-Za-z0-9_-]{43}$/);
      expect((await mk(basic('frank', token)).get('/rest/sleep')).status).toBe(200);
      const list = await userCli(dataDir, ['list']);
      expect(list.out.join('\n')).toMatch(/^frank\tuser/m);
      expect(list.out.join('\n')).not.toContain(token.split('.')[1]);
      expect((await userCli(dataDir, ['revoke', token.split('.')[0]])).code).toBe(0);
      expect((await userCli(dataDir, ['revoke', token.split('.')[0]])).code).toBe(1);
      expect((await userCli(dataDir, ['add', 'frank'])).code).toBe(1);
      expect((await userCli(dataDir, ['frobnicate'])).code).toBe(2);
    });
  });

  describe("another user's job", () => {
    let pending: string;
    let done: string;
    beforeAll(async () => {
      pending = await alice.create('sleep', { duration: '0', RUNID: 'alice-pending' });
      done = await alice.create('wordcount', upload({ PHASE: 'RUN' }));
      expect(await alice.settle(done)).toBe('COMPLETED');
    });

    const READS = ['', '/phase', '/executionduration', '/destruction', '/error', '/quote', '/owner', '/parameters', '/parameters/duration', '/results'];

    it('is 403 on every resource for another user, reads and writes alike, and stays untouched', async () => {
      const tries: [string, string, Record<string, string> | string | undefined][] = [
        ...READS.map((p): [string, string, undefined] => ['GET', `${pending}${p}`, undefined]),
        ['GET', `${pending}?WAIT=10`, undefined],
        ['GET', `${done}/parameters/infile`, undefined], // an upload
        ['GET', `${done}/results/counts`, undefined],
        ['GET', `${done}/results/stdout`, undefined],
        ['POST', `${pending}/phase`, { PHASE: 'RUN' }],
        ['POST', `${pending}/executionduration`, { EXECUTIONDURATION: '30' }],
        ['POST', `${pending}/destruction`, { DESTRUCTION: '2099-01-01T00:00:00Z' }],
        ['POST', `${pending}/parameters`, { duration: '2' }],
        ['POST', pending, { duration: '2' }],
        ['PUT', `${pending}/parameters/duration`, '3'],
        ['POST', pending, { ACTION: 'DELETE' }],
        ['DELETE', pending, undefined],
        ['DELETE', done, undefined],
      ];
      for (const [method, url, body] of tries) {
        const r = await bob.req(method, url, body);
        expect([method, url, r.status]).toEqual([method, url, 403]);
        expect(r.text).toMatch(/not your job/);
      }
      // Nothing changed: alice still has both, as they were.
      expect((await alice.get(`${pending}/phase`)).text).toBe('PENDING');
      expect((await alice.get(`${pending}/parameters/duration`)).text).toBe('0');
      expect((await alice.get(`${done}/results/counts`)).status).toBe(200);
      expect((await alice.get(`${done}/parameters/infile`)).text).toBe(TEXT);
    });

    it('is readable by its owner on every resource', async () => {
      for (const p of READS) expect([p, (await alice.get(`${pending}${p}`)).status]).toEqual([p, 200]);
      expect((await alice.get(`${pending}/owner`)).text).toBe('alice');
      expect((await alice.get(pending)).text).toContain('<uws:ownerId>alice</uws:ownerId>');
    });

    it('is open to an administrator', async () => {
      expect((await admin.get(`${pending}/owner`)).text).toBe('alice');
      expect((await admin.get(`${done}/results/counts`)).status).toBe(200);
      expect((await admin.get(`${done}/parameters/infile`)).text).toBe(TEXT);
    });

    it('an unknown job is still 404, for everyone', async () => {
      expect((await bob.get('/rest/sleep/nosuchjob')).status).toBe(404);
    });
  });

  describe('job lists', () => {
    let a1: string;
    let b1: string;
    beforeAll(async () => {
      a1 = (await alice.create('sleep', { duration: '0' })).split('/').pop()!;
      b1 = (await bob.create('sleep', { duration: '0' })).split('/').pop()!;
    });

    it("show a user only their own jobs, with their name as owner", async () => {
      const mine = await listed(alice, '/rest/sleep');
      expect(mine.map((j) => j.jobId)).toContain(a1);
      expect(mine.map((j) => j.jobId)).not.toContain(b1);
      expect(new Set(mine.map((j) => j.ownerId))).toEqual(new Set(['alice']));
      const bobs = await listed(bob, '/rest/sleep');
      expect(bobs.map((j) => j.jobId)).toEqual([b1]);
      // XML too
      const xml = (await bob.get('/rest/sleep')).text;
      expect(xml).toContain(`id="${b1}"`);
      expect(xml).not.toContain(`id="${a1}"`);
      expect(xml).toContain('<uws:ownerId>bob</uws:ownerId>');
    });

    it('OWNER= cannot widen a user\'s list', async () => {
      expect(await listed(bob, '/rest/sleep?OWNER=alice')).toEqual([]);
      expect((await listed(bob, '/rest/sleep?OWNER=bob')).map((j) => j.jobId)).toEqual([b1]);
    });

    it('show an administrator everyone\'s jobs with their owners, and OWNER= filters them', async () => {
      const all = await listed(admin, '/rest/sleep');
      expect(all.find((j) => j.jobId === a1)?.ownerId).toBe('alice');
      expect(all.find((j) => j.jobId === b1)?.ownerId).toBe('bob');
      const onlyAlice = await listed(admin, '/rest/sleep?OWNER=alice');
      expect(onlyAlice.map((j) => j.jobId)).toContain(a1);
      expect(new Set(onlyAlice.map((j) => j.ownerId))).toEqual(new Set(['alice']));
      expect(await listed(admin, '/rest/sleep?OWNER=anonymous')).toEqual([]);
      expect((await admin.get('/rest/sleep')).text).toContain('<uws:ownerId>alice</uws:ownerId>');
    });
  });

  describe('active jobs per user', () => {
    it('past the configured default (MAX_ACTIVE_JOBS_PER_USER=4), creation is 403; deleting one frees a place', async () => {
      const dave = (await newUser('dave')).client;
      const jobs: string[] = [];
      for (let i = 0; i < 4; i++) jobs.push(await dave.create('sleep', { duration: '0' }));
      const refused = await dave.post('/rest/sleep', { duration: '0' });
      expect(refused.status).toBe(403);
      expect(refused.text).toMatch(/4 active jobs.*at most 4/);
      // An upload refused for the limit is not kept in the spool.
      expect((await dave.post('/rest/wordcount', upload())).status).toBe(403);
      expect(fs.readdirSync(`${dataDir}/uploads`)).toEqual([]);
      expect((await dave.req('DELETE', jobs[0])).status).toBe(303);
      expect((await dave.post('/rest/sleep', { duration: '0' })).status).toBe(303);
      // Others are not affected.
      expect((await bob.post('/rest/sleep', { duration: '0' })).status).toBe(303);
    });

    it('a user\'s own maxActiveJobs overrides the default; concurrent creations cannot overshoot it', async () => {
      const carol = (await newUser('carol', { maxActiveJobs: '2' })).client;
      const answers = await Promise.all(Array.from({ length: 6 }, () => carol.post('/rest/sleep', { duration: '0' })));
      expect(answers.filter((a) => a.status === 303)).toHaveLength(2);
      expect(answers.filter((a) => a.status === 403)).toHaveLength(4);
      const users = await admin.json<{ users: { name: string; activeJobs: number; maxActiveJobs: number | null }[] }>('/admin/users');
      expect(users.users.find((u) => u.name === 'carol')).toMatchObject({ activeJobs: 2, maxActiveJobs: 2 });
    });
  });

  describe('administration', () => {
    it('is for administrators only: 403 for users', async () => {
      for (const [method, p, body] of [
        ['GET', '/admin/users', undefined],
        ['POST', '/admin/users', { name: 'mallory', role: 'admin' }],
        ['POST', '/admin/users/alice/tokens', { label: 'stolen' }],
        ['DELETE', '/admin/tokens/whatever', undefined],
        ['POST', '/admin/job-types/sleep', { available: 'false' }],
      ] as [string, string, Record<string, string> | undefined][]) {
        expect([p, (await alice.req(method, p, body)).status]).toEqual([p, 403]);
      }
    });

    it('lists users with roles, active job counts and tokens, never a secret', async () => {
      const r = await admin.get('/admin/users');
      expect(r.headers.get('cache-control')).toBe('no-store');
      const users = (JSON.parse(r.text) as { users: { name: string; role: string; activeJobs: number; tokens: { id: string }[] }[] }).users;
      expect(users.find((u) => u.name === 'root')).toMatchObject({ role: 'admin' });
      expect(users.find((u) => u.name === 'alice')).toMatchObject({ role: 'user' });
      expect(users.find((u) => u.name === 'alice')!.activeJobs).toBeGreaterThanOrEqual(1);
      expect(users.find((u) => u.name === 'alice')!.tokens).toHaveLength(1);
      expect(r.text).not.toContain(aliceToken.split('.')[1]);
      expect(r.text).not.toMatch(/scrypt|passwordHash|"hash"|"salt"/);
    });

    it('creates users (admins too, with a password) and refuses bad or duplicate ones', async () => {
      const created = await admin.post('/admin/users', { name: 'grace', role: 'admin', password: 'grace-password' });
      expect(created.status).toBe(201);
      expect(JSON.parse(created.text).user).toMatchObject({ name: 'grace', role: 'admin', hasPassword: true });
      const grace = mk(basic('grace', 'grace-password'));
      expect((await grace.get('/admin/users')).status).toBe(200);
      expect((await admin.post('/admin/users', { name: 'grace' })).status).toBe(409);
      expect((await admin.post('/admin/users', { name: 'bad name' })).status).toBe(400);
      expect((await admin.post('/admin/users', { name: 'anonymous' })).status).toBe(400);
      expect((await admin.post('/admin/users', { name: 'henry', role: 'root' })).status).toBe(400);
      expect((await admin.post('/admin/users', { name: 'henry', password: 'short' })).status).toBe(400);
      expect((await admin.post('/admin/users/nobody-here/tokens', {})).status).toBe(404);
    });

    it('takes a job type out of service (503 on creation, unavailable in /rest) and puts it back', async () => {
      expect((await admin.post('/admin/job-types/sleep', { available: 'false' })).status).toBe(200);
      const refused = await alice.post('/rest/sleep', { duration: '0' });
      expect(refused.status).toBe(503);
      expect(refused.text).toMatch(/disabled by an administrator/);
      const types = await alice.json<{ jobTypes: { type: string; available: boolean; problems: string[] }[] }>('/rest');
      expect(types.jobTypes.find((t) => t.type === 'sleep')).toMatchObject({ available: false, problems: ['disabled by an administrator'] });
      expect((await alice.get('/forms/sleep/description')).status).toBe(503);
      expect((await admin.post('/admin/job-types/sleep', { available: 'true' })).status).toBe(200);
      expect((await alice.post('/rest/sleep', { duration: '0' })).status).toBe(303);
      expect((await admin.post('/admin/job-types/nosuchtype', { available: 'false' })).status).toBe(404);
      expect((await admin.post('/admin/job-types/sleep', { available: 'perhaps' })).status).toBe(400);
    });
  });
});
