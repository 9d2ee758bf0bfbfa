import { ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../test/support/test-app';

/**
 * A bare node:http server, no framework and no database: it holds every GET and, on any POST, answers all
 * held GETs at once with a fixed body, then the POST with a 303. Measured with the same client as the
 * real server's WAIT wake-up, it gives the floor this machine and Node's HTTP stack set for answering that
 * many requests at the same moment.
 */
const SERVER = `
const http = require('node:http');
const [port, size] = process.argv.slice(1).map(Number);
const body = Buffer.alloc(size, 'x');
const held = [];
http.createServer((req, res) => {
  if (req.method === 'GET') return void held.push(res);
  for (const r of held.splice(0)) {
    r.writeHead(200, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': body.length });
    r.end(body);
  }
  res.writeHead(303, { Location: '/', 'Content-Length': 0 }).end();
}).listen(port, '127.0.0.1', () => process.send && process.send('ready'));
`;

export interface FloorServer {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export async function startFloorServer(bodyBytes: number): Promise<FloorServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', SERVER, String(port), String(bodyBytes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  child.channel?.unref();
  return {
    child,
    port,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
