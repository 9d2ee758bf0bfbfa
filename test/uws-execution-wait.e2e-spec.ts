/**
 * Blocking GETs (UWS 1.1 §2.2.1.2, digest §6) against real running jobs: how long WAIT blocks, when it
 * answers at once, the WAIT_CAP, wake-up by the phase change itself, and many waiters at once.
 */
import * as fs from 'node:fs';
import { JobEvents } from '../src/uws/job.events';
import { killJobGroups, reachPhase, RunningApp, startApp } from './support/test-app';
import { UwsClient, xmlValue } from './support/uws-client';

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('WAIT (default WAIT_CAP)', () => {
  let app: RunningApp;
  let c: UwsClient;

  beforeAll(async () => {
    app = await startApp();
    c = new UwsClient(app.baseUrl);
  });

  afterAll(async () => {
    if (app) {
      killJobGroups(app.dataDir);
      await app.close();
      fs.rmSync(app.dataDir, { recursive: true, force: true });
    }
  });

  test('WAIT=2 on a PENDING job blocks about 2 s, then answers with the job', async () => {
    const url = await c.create('sleep');
    const r = await c.get(`${url}?WAIT=2`);
    expect(r.status).toBe(200);
    expect(xmlValue(r.text, 'phase')).toBe('PENDING');
    expect(r.ms).toBeGreaterThanOrEqual(1800);
    expect(r.ms).toBeLessThan(6000);
  });

  test('WAIT on a job in a final phase answers at once', async () => {
    const aborted = await c.create('sleep');
    await c.post(`${aborted}/phase`, { PHASE: 'ABORT' });
    const done = await c.create('sleep', { duration: '0', PHASE: 'RUN' });
    expect(await c.settle(done)).toBe('COMPLETED');
    for (const [url, phase] of [
      [aborted, 'ABORTED'],
      [done, 'COMPLETED'],
    ]) {
      for (const q of ['WAIT=30', 'WAIT=-1', 'WAIT=30&PHASE=EXECUTING']) {
        const r = await c.get(`${url}?${q}`);
        expect(r.status).toBe(200);
        expect(xmlValue(r.text, 'phase')).toBe(phase);
        expect(r.ms).toBeLessThan(2000);
      }
    }
  });

  test('WAIT=10&PHASE=EXECUTING on a PENDING job answers at once', async () => {
    const url = await c.create('sleep');
    const r = await c.get(`${url}?WAIT=10&PHASE=EXECUTING`);
    expect(r.status).toBe(200);
    expect(xmlValue(r.text, 'phase')).toBe('PENDING');
    expect(r.ms).toBeLessThan(2000);
  });

  test('WAIT=30&PHASE=EXECUTING on a running job returns when it completes (woken by the change)', async () => {
    const url = await c.create('sleep', { duration: '1.5', PHASE: 'RUN' });
    expect(await reachPhase((p) => c.get(p), url, 'EXECUTING')).toBe('EXECUTING');
    const r = await c.get(`${url}?WAIT=30&PHASE=EXECUTING`);
    expect(r.status).toBe(200);
    expect(xmlValue(r.text, 'phase')).toBe('COMPLETED');
    expect(r.ms).toBeLessThan(10000);
    const end = Date.parse(xmlValue(r.text, 'endTime')!);
    // Answered right after the end, not at the 30 s deadline.
    expect(Date.now() - end).toBeLessThan(5000);
  });

  test('200 concurrent WAITs on one running job: the server keeps serving, all answer when it completes', async () => {
    const events = app.app.get(JobEvents);
    const before = events.waiting();
    const url = await c.create('sleep', { duration: '4', PHASE: 'RUN' });
    expect(await reachPhase((p) => c.get(p), url, 'EXECUTING')).toBe('EXECUTING');

    const answers = Array.from({ length: 200 }, () =>
      c.get(`${url}?WAIT=30&PHASE=EXECUTING`).then((r) => ({ ...r, at: Date.now() })),
    );
    expect(await eventually(() => events.waiting() >= before + 200, 3500)).toBe(true);

    // While they block, other requests are served quickly.
    const list = await c.get('/rest/sleep');
    expect(list.status).toBe(200);
    expect(list.ms).toBeLessThan(2000);
    const t0 = Date.now();
    const other = await c.create('sleep');
    expect(Date.now() - t0).toBeLessThan(2000);
    const one = await c.get(other);
    expect(one.status).toBe(200);
    expect(one.ms).toBeLessThan(2000);
    expect(await c.phase(url)).toBe('EXECUTING');

    const all = await Promise.all(answers);
    const end = Date.parse(xmlValue(all[0].text, 'endTime')!);
    for (const r of all) {
      expect(r.status).toBe(200);
      expect(xmlValue(r.text, 'phase')).toBe('COMPLETED');
      expect(r.at - end).toBeLessThan(5000);
    }
    expect(events.waiting()).toBe(before);
  });
});

describe('WAIT with WAIT_CAP=3', () => {
  let app: RunningApp;
  let c: UwsClient;

  beforeAll(async () => {
    app = await startApp({ WAIT_CAP: '3' });
    c = new UwsClient(app.baseUrl);
  });

  afterAll(async () => {
    if (app) {
      killJobGroups(app.dataDir);
      await app.close();
      fs.rmSync(app.dataDir, { recursive: true, force: true });
    }
  });

  test('WAIT=-1 and WAIT=30 on a PENDING job block only up to the cap', async () => {
    const url = await c.create('sleep');
    const [unlimited, long] = await Promise.all([c.get(`${url}?WAIT=-1`), c.get(`${url}?WAIT=30`)]);
    for (const r of [unlimited, long]) {
      expect(r.status).toBe(200);
      expect(xmlValue(r.text, 'phase')).toBe('PENDING');
      expect(r.ms).toBeGreaterThanOrEqual(2700);
      expect(r.ms).toBeLessThan(8000);
    }
  });
});
