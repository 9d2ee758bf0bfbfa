/*
 * Preloaded into the server child when BENCH_PROFILE is set (node -r). Samples the CPU from start-up; each
 * 'cut-profile' message on the IPC channel writes the profile so far to
 * $BENCH_PROFILE_DIR/server-<pid>-<n>.cpuprofile, starts a new one and answers with the file and the
 * process's memory use (MB). (Not a signal:
 * the server's shutdown hooks take SIGUSR2 as a request to stop.)
 */
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR;
if (dir && process.send) {
  const session = new inspector.Session();
  session.connect();
  let n = 0;
  const start = () => session.post('Profiler.start');
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 100 }, start));
  process.on('message', (m) => {
    if (m !== 'cut-profile') return;
    session.post('Profiler.stop', (err, res) => {
      const file = path.join(dir, `server-${process.pid}-${++n}.cpuprofile`);
      if (!err) fs.writeFileSync(file, JSON.stringify(res.profile));
      start();
      const m = process.memoryUsage();
      const mb = (n) => Math.round(n / 1048576);
      process.send({ cut: err ? String(err) : file, memory: { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external) } });
    });
  });
  process.channel.unref();
}
