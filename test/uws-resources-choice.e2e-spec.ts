import { RunningApp, startApp } from './support/test-app';
import { UwsClient } from './support/uws-client';

/** Cluster resources a user may choose per job, within the limits the job type's WADL declares. */
describe('per-job resource choices', () => {
  let app: RunningApp;
  let uws: UwsClient;

  beforeAll(async () => {
    app = await startApp();
    uws = new UwsClient(app.baseUrl);
  });
  afterAll(async () => app?.close());

  it('accepts values within the limits and shows them among the parameters', async () => {
    const form = new FormData();
    form.append('inobs', new Blob(['not really FITS']), 'events.fits');
    form.append('cpus', '2');
    form.append('MEMORY', '2048');
    const job = await uws.create('ctbin', form);
    const params = await uws.get(`${job}/parameters`);
    expect(params.text).toContain('<uws:parameter id="cpus">2</uws:parameter>');
    expect(params.text).toContain('<uws:parameter id="memory">2048</uws:parameter>');
    // Changed while PENDING like any parameter; the other choice is kept.
    expect((await uws.post(`${job}/parameters`, { cpus: '3' })).status).toBe(303);
    const after = await uws.get(`${job}/parameters`);
    expect(after.text).toContain('<uws:parameter id="cpus">3</uws:parameter>');
    expect(after.text).toContain('<uws:parameter id="memory">2048</uws:parameter>');
  });

  it('refuses values outside the limits, non-numbers and resources the type does not offer', async () => {
    const form = new FormData();
    form.append('inobs', new Blob(['x']), 'events.fits');
    form.append('cpus', '64');
    form.append('memory', '1G');
    const r = await uws.post('/rest/ctbin', form);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/cpus: 64 is above the maximum 4/);
    expect(r.text).toMatch(/memory: '1G' is not a whole number/);
    const f2 = new FormData();
    f2.append('inobs', new Blob(['x']), 'events.fits');
    f2.append('partition', 'gpu');
    const p = await uws.post('/rest/ctbin', f2);
    expect(p.status).toBe(400);
    expect(p.text).toMatch(/partition/);
    // sleep declares no resources: cpus is simply not one of its parameters.
    expect((await uws.post('/rest/sleep', { cpus: '2' })).status).toBe(400);
  });
});
