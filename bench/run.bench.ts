/**
 * Throughput and latency of the UWS job lists against the real server, run as a separate process.
 *
 *   npm run bench
 *
 * Options (environment): BENCH_PROFILE=<dir> writes V8 CPU profiles of the server there, one per phase,
 * and logs its heap use; BENCH_SERVER=ts-node runs the server as src/main.ts under ts-node instead of
 * transpiled (the TypeScript compiler then adds about 85 MB to its RSS); BENCH_NODE_ARGS adds node options
 * for the server (e.g. BENCH_NODE_ARGS=--max-old-space-size=160).
 *
 * Sequence: src/ is transpiled to a temporary folder (the server then runs as `node dist/main.js` does); a
 * first server creates one real job through the API and is stopped; 99,999 copies of its row are inserted
 * straight into the SQLite file (one transaction, one prepared statement); a second server then serves the
 * list, job document, WAIT and creation measurements, in that order. Benchmarks never fail the build:
 * the exit code is 0 whatever the figures say.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { tempDir, testEnv } from '../test/support/test-app';
import { buildServer } from './build';
import { FORM, rawGet, request, streamCount, Target, targetOf } from './client';
import { startFloorServer } from './floor';
import { seedJobs } from './seed';
import { BenchServer, procCpuSeconds, procStatus, startServer } from './server';
import { Figure, line, median, pass, percentile } from './stats';

const STORED_JOBS = 100_000;
const CREATE_CLIENTS = 32;
const CREATE_SECONDS = 4;
const GET_REQUESTS = 2_000;
const LIST_REQUESTS = 200;
const WAITERS = 1_000;
const WAIT_SETTLE_MS = 1_500;
const MB = 1024 * 1024;
const JOBREF = '<uws:jobref ';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const n = (v: number) => v.toLocaleString('en-US');

function jobIdFrom(location: string | undefined): string {
  if (!location) throw new Error('creation answered without a Location');
  return decodeURIComponent(location.slice(location.lastIndexOf('/') + 1));
}

async function createJob(agent: http.Agent, t: Target): Promise<string> {
  const r = await request(agent, t, 'POST', '/rest/sleep', 'duration=1&message=bench');
  if (r.status !== 303) throw new Error(`POST /rest/sleep answered ${r.status}: ${r.body}`);
  return jobIdFrom(r.headers.location);
}

/** `count` sequential GETs after `warm` unmeasured ones; latencies in ms (request written to body read). */
async function sequential(agent: http.Agent, t: Target, p: string, count: number, warm: number, check: (body: string) => boolean) {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < warm + count; i++) {
    const t0 = performance.now();
    const r = await request(agent, t, 'GET', p);
    const dt = performance.now() - t0;
    if (r.status !== 200 || !check(r.body)) throw new Error(`GET ${p} answered ${r.status}: ${r.body.slice(0, 300)}`);
    if (i >= warm) ms.push(dt);
    bytes = r.body.length;
  }
  return { ms, bytes };
}

/** POST /rest/sleep (form body, no PHASE) from CREATE_CLIENTS keep-alive connections for CREATE_SECONDS. */
async function measureCreations(srv: BenchServer, t: Target) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CREATE_CLIENTS });
  const body = 'duration=1&message=bench';
  await Promise.all(Array.from({ length: CREATE_CLIENTS }, () => createJob(agent, t))); // connections open, code warm
  let ok = 0;
  let failed = 0;
  const latencies: number[] = [];
  const cpuServer0 = procCpuSeconds(srv.pid);
  const cpuClient0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + CREATE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CREATE_CLIENTS }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const r = await request(agent, t, 'POST', '/rest/sleep', body, { 'content-type': FORM });
        latencies.push(performance.now() - s);
        if (r.status === 303) ok++;
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const serverCpu = (procCpuSeconds(srv.pid) - cpuServer0) / seconds;
  const c = process.cpuUsage(cpuClient0);
  agent.destroy();
  return { ok, failed, seconds, perSecond: ok / seconds, median: median(latencies), serverCpu, clientCpu: (c.user + c.system) / 1e6 / seconds };
}

/**
 * WAITERS blocking GETs on raw connections, opened in batches of 100 (the listen backlog is 511) and left
 * WAIT_SETTLE_MS to be taken in; then `release` (which answers after the wake-up was triggered) and the
 * delay from writing the release request to the first byte of each waiter's answer.
 */
async function measureWakeups(t: Target, waitPath: string, release: () => Promise<number>) {
  const waiters = [];
  for (let i = 0; i < WAITERS; i += 100) {
    const batch = Array.from({ length: Math.min(100, WAITERS - i) }, () => rawGet(t, waitPath));
    await Promise.all(batch.map((w) => w.connected));
    waiters.push(...batch);
  }
  let early = 0;
  for (const w of waiters) void w.answered.then(() => early++, () => early++);
  await sleep(WAIT_SETTLE_MS);
  if (early > 0) throw new Error(`${early} of the blocking GETs answered before the release`);
  const sent = performance.now();
  const status = await release();
  const released = performance.now();
  if (status !== 303) throw new Error(`the release answered ${status}`);
  const answers = await Promise.all(waiters.map((w) => w.answered));
  for (const w of waiters) w.socket.destroy();
  const bad = answers.filter((a) => a.status !== 200).length;
  if (bad) throw new Error(`${bad} blocking GETs answered with a status other than 200`);
  return { fromSent: answers.map((a) => a.at - sent), from303: answers.map((a) => a.at - released), releaseMs: released - sent };
}

async function main(): Promise<void> {
  const started = performance.now();
  const scratch: string[] = [];
  const t = await testEnv({ DATA_DIR: tempDir('uws-bench-') });
  scratch.push(t.dataDir);
  const target = targetOf(t.baseUrl);
  const figures: Figure[] = [];
  const notes: string[] = [];
  const memory: string[] = [];
  const profileDir = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  log(`node ${process.version}, ${os.cpus().length} cores, data in ${t.dataDir}`);

  let main: string | undefined;
  if (process.env.BENCH_SERVER !== 'ts-node') {
    const into = tempDir('uws-bench-build-');
    scratch.push(into);
    const b = buildServer(into);
    main = b.main;
    log(`transpiled ${b.files} files of src/ in ${b.seconds.toFixed(1)} s`);
  }
  const sample = (srv: BenchServer, after: string) => {
    const s = procStatus(srv.pid);
    if (s) memory.push(`  after ${after}: RSS ${(s.rss / MB).toFixed(0)} MB, peak so far ${(s.hwm / MB).toFixed(0)} MB`);
  };

  let srv: BenchServer | undefined;
  let agent: http.Agent | undefined;
  try {
    // --- A real job, created through the API, whose row the bulk insert copies.
    srv = await startServer(t, { main, nodeArgs });
    agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    await createJob(agent, target);
    agent.destroy();
    const firstServer = await srv.stop();
    srv = undefined;
    const seed = await seedJobs(path.join(t.dataDir, 'uws.sqlite'), 'sleep', STORED_JOBS);
    log(`inserted ${seed.inserted} rows in ${seed.seconds.toFixed(1)} s; ${seed.total} sleep jobs stored`);

    // --- The measured server.
    srv = await startServer(t, { main, profileDir, nodeArgs });
    agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    log(`server pid ${srv.pid} (node ${[...nodeArgs, main ? '<transpiled src>/main.js' : '-r ts-node/register src/main.ts'].join(' ')})`);
    sample(srv, 'start-up');
    await srv.cutProfile();

    // 3. The newest 100 of 100,000, then the whole list.
    const count = (body: string) => body.split(JOBREF).length - 1;
    const list = await sequential(agent, target, '/rest/sleep?LAST=100', LIST_REQUESTS, 20, (b) => count(b) === 100);
    const of = `of ${n(seed.total)} jobs`;
    figures.push({ name: `GET /rest/sleep?LAST=100 ${of}, median`, value: median(list.ms), unit: 'ms', target: { op: '<', limit: 20 } });
    figures.push({ name: `GET /rest/sleep?LAST=100 ${of}, p99`, value: percentile(list.ms, 99), unit: 'ms', target: { op: '<', limit: 20 } });
    sample(srv, `${LIST_REQUESTS + 20} x LAST=100`);
    await srv.cutProfile();

    const rssBefore = procStatus(srv.pid)!.rss;
    const l0 = performance.now();
    const full = await streamCount(agent, target, '/rest/sleep', JOBREF);
    const fullMs = performance.now() - l0;
    const after = procStatus(srv.pid)!;
    if (full.status !== 200 || full.count !== seed.total) throw new Error(`full list: status ${full.status}, ${full.count} jobrefs`);
    figures.push({ name: `GET /rest/sleep, all ${n(full.count)} jobs streamed (${(full.bytes / MB).toFixed(1)} MB)`, value: fullMs, unit: 'ms' });
    figures.push({
      name: 'server RSS right after the full list',
      value: after.rss / MB,
      unit: 'MB',
      note: `${((after.rss - rssBefore) / MB).toFixed(1)} MB more than before it`,
    });
    sample(srv, 'the full list');
    await srv.cutProfile();

    // 2. One job document.
    const id = await createJob(agent, target);
    const one = await sequential(agent, target, `/rest/sleep/${id}`, GET_REQUESTS, 200, (b) => b.includes('<uws:job '));
    figures.push({ name: 'GET /rest/sleep/{id} (one job document), median', value: median(one.ms), unit: 'ms', target: { op: '<', limit: 2 } });
    figures.push({ name: 'GET /rest/sleep/{id} (one job document), p99', value: percentile(one.ms, 99), unit: 'ms' });
    sample(srv, `${GET_REQUESTS + 200} job GETs`);
    await srv.cutProfile();

    // 4. WAIT wake-up.
    const waitId = await createJob(agent, target);
    const a = agent;
    const w = await measureWakeups(target, `/rest/sleep/${waitId}?WAIT=60`, async () => {
      return (await request(a, target, 'POST', `/rest/sleep/${waitId}/phase`, 'PHASE=ABORT')).status;
    });
    figures.push({ name: `WAIT wake-up of ${n(WAITERS)} waiters, median`, value: median(w.fromSent), unit: 'ms' });
    figures.push({ name: `WAIT wake-up of ${n(WAITERS)} waiters, p99`, value: percentile(w.fromSent, 99), unit: 'ms', target: { op: '<', limit: 20 } });
    sample(srv, `${WAITERS} WAITs`);
    await srv.cutProfile();
    const floor = await startFloorServer(one.bytes);
    try {
      const ft: Target = { host: '127.0.0.1', port: floor.port };
      const fa = new http.Agent({ keepAlive: true });
      const f = await measureWakeups(ft, '/wait', async () => (await request(fa, ft, 'POST', '/release', 'x')).status);
      fa.destroy();
      figures.push({
        name: `  floor: bare node:http answering ${n(WAITERS)} held GETs at once, p99`,
        value: percentile(f.fromSent, 99),
        unit: 'ms',
        note: `median ${median(f.fromSent).toFixed(1)} ms; no framework, no database, same client`,
      });
    } finally {
      await floor.stop();
    }
    notes.push(
      `WAIT wake-up: ${n(WAITERS)} GET /rest/sleep/{id}?WAIT=60 on a PENDING job, each on its own raw TCP connection,`,
      `  opened ${WAIT_SETTLE_MS / 1000} s before POST /rest/sleep/{id}/phase PHASE=ABORT. Delay = from the client writing the`,
      `  ABORT request to the first byte of each waiter's answer, so it includes the abort's own handling. The`,
      `  abort's 303 itself came ${w.releaseMs.toFixed(0)} ms after it was sent, after most waiters' answers (the server answers`,
      `  the woken waiters first); measured from the 303 instead, the p99 is ${percentile(w.from303, 99).toFixed(1)} ms.`,
    );

    // 1. Job creations.
    const c = await measureCreations(srv, target);
    figures.push({
      name: `job creations, POST /rest/sleep from ${CREATE_CLIENTS} keep-alive clients for ${c.seconds.toFixed(1)} s`,
      value: c.perSecond,
      unit: '/s',
      target: { op: '>=', limit: 1000 },
      note: `${n(c.ok)} created, ${c.failed} failed, median ${c.median.toFixed(1)} ms; server CPU ${(c.serverCpu * 100).toFixed(0)}%, client ${(c.clientCpu * 100).toFixed(0)}% of a core`,
    });
    sample(srv, 'creations');
    await srv.cutProfile();

    // 5. Peak memory over the whole run (VmHWM of both server processes).
    const peak = Math.max(procStatus(srv.pid)!.hwm, firstServer?.hwm ?? 0);
    figures.push({ name: 'server peak RSS over the run (VmHWM)', value: peak / MB, unit: 'MB', target: { op: '<', limit: 250 } });
    memory.unshift(`Server memory (${main ? 'transpiled src/ run by plain node' : 'ts-node'}; the seed server peaked at ${((firstServer?.hwm ?? NaN) / MB).toFixed(0)} MB):`);
  } finally {
    agent?.destroy();
    if (srv) await srv.stop();
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  }

  const targets = figures.filter((f) => f.target);
  process.stdout.write(
    [
      '',
      `UWS Host benchmark: node ${process.version}, ${os.cpus().length} cores, server in its own process (LOG_LEVEL=warn, SQLite, MAX_CONCURRENT_JOBS default)`,
      '',
      ...figures.map(line),
      '',
      ...notes,
      ...memory,
      '',
      `${targets.filter((f) => pass(f)).length} of ${targets.length} targets met; total run ${((performance.now() - started) / 1000).toFixed(0)} s`,
      '',
    ].join('\n'),
  );
}

main()
  .catch((e) => console.error(`benchmark failed: ${(e as Error).stack ?? e}`))
  .finally(() => process.exit(0));
