/**
 * With ANONYMOUS_ACCESS on (the default), requests without credentials still just work, as the shared
 * anonymous caller; signed-in users and anonymous callers do not see each other's jobs.
 */
import * as fs from 'node:fs';
import { RunningApp, startApp, tempDir } from './support/test-app';
import { AuthClient, basic, listed, userCli } from './support/auth-client';

describe('anonymous access (the default)', () => {
  let app: RunningApp;
  let dataDir: string;
  let anon: AuthClient;
  let alice: AuthClient;
  let admin: AuthClient;

  beforeAll(async () => {
    dataDir = tempDir();
    expect((await userCli(dataDir, ['add', 'alice'])).code).toBe(0);
    expect((await userCli(dataDir, ['add', 'root', '--admin'])).code).toBe(0);
    const aliceToken = (await userCli(dataDir, ['token', 'alice'])).out[0];
    const rootToken = (await userCli(dataDir, ['token', 'root'])).out[0];
    app = await startApp({ DATA_DIR: dataDir, MAX_ACTIVE_JOBS_PER_USER: '1' });
    anon = new AuthClient(app.baseUrl);
    alice = new AuthClient(app.baseUrl, basic('alice', aliceToken));
    admin = new AuthClient(app.baseUrl, basic('root', rootToken));
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('needs no credentials: jobs are created and run without owner, no CSRF token is asked for', async () => {
    const url = await anon.create('sleep', { duration: '0', PHASE: 'RUN' });
    expect(await anon.settle(url)).toBe('COMPLETED');
    expect((await anon.get(`${url}/owner`)).text).toBe('');
    expect((await anon.get(url)).text).toContain('<uws:ownerId xsi:nil="true"/>');
    expect((await anon.get('/forms/sleep', { Accept: 'text/html' })).text).not.toContain('name="_csrf"');
    expect((await anon.get('/signin', { Accept: 'text/html' })).status).toBe(200);
  });

  it('anonymous callers have no limit of active jobs (MAX_ACTIVE_JOBS_PER_USER is for users)', async () => {
    for (let i = 0; i < 3; i++) expect((await anon.post('/rest/sleep', { duration: '0' })).status).toBe(303);
    expect((await alice.post('/rest/sleep', { duration: '0' })).status).toBe(303);
    expect((await alice.post('/rest/sleep', { duration: '0' })).status).toBe(403);
  });

  it('anonymous and signed-in callers see only their own jobs; an administrator sees both', async () => {
    const anonJob = await anon.create('sleep', { duration: '0' });
    const aliceJob = (await listed(alice, '/rest/sleep'))[0].jobId;
    const anonJobs = (await listed(anon, '/rest/sleep')).map((j) => j.jobId);
    expect(anonJobs).toContain(anonJob.split('/').pop());
    expect(anonJobs).not.toContain(aliceJob);
    expect((await listed(alice, '/rest/sleep')).map((j) => j.ownerId)).toEqual(['alice']);
    expect((await anon.get(`/rest/sleep/${aliceJob}`)).status).toBe(403);
    expect((await alice.get(anonJob)).status).toBe(403);
    expect((await admin.get(anonJob)).status).toBe(200);
    const all = await listed(admin, '/rest/sleep');
    expect(all.map((j) => j.jobId)).toEqual(expect.arrayContaining([aliceJob, anonJob.split('/').pop()]));
    const anonymousOnly = await listed(admin, '/rest/sleep?OWNER=anonymous');
    expect(anonymousOnly.every((j) => j.ownerId === null)).toBe(true);
    expect(anonymousOnly.map((j) => j.jobId)).toEqual(anonJobs);
  });

  it('wrong credentials are still refused (401), not taken as anonymous', async () => {
    const r = await new AuthClient(app.baseUrl, basic('alice', 'not-a-token-or-password')).get('/rest/sleep');
    expect(r.status).toBe(401);
  });

  it('the admin API is 403 for anonymous callers', async () => {
    expect((await anon.get('/admin/users')).status).toBe(403);
    expect((await anon.post('/admin/job-types/sleep', { available: 'false' })).status).toBe(403);
  });
});
