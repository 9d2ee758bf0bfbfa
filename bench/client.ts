import * as http from 'node:http';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Target {
  host: string;
  port: number;
}

export function targetOf(baseUrl: string): Target {
  const u = new URL(baseUrl);
  return { host: u.hostname, port: Number(u.port) };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const FORM = 'application/x-www-form-urlencoded';

/** One request on a (keep-alive) agent; the whole body is read. */
export function request(
  agent: http.Agent,
  t: Target,
  method: string,
  path: string,
  body?: string,
  headers: http.OutgoingHttpHeaders = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const h: http.OutgoingHttpHeaders = { ...headers };
    if (body !== undefined) {
      h['content-type'] ??= FORM;
      h['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request({ agent, host: t.host, port: t.port, method, path, headers: h }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A request whose body is only counted (for the long list): bytes and occurrences of `needle`. */
export function streamCount(agent: http.Agent, t: Target, path: string, needle: string): Promise<{ status: number; bytes: number; count: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: t.host, port: t.port, method: 'GET', path }, (res) => {
      let bytes = 0;
      let count = 0;
      let carry = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        bytes += Buffer.byteLength(c);
        const s = carry + c;
        for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length)) count++;
        carry = s.slice(Math.max(0, s.length - needle.length + 1));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, count }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A blocking GET on its own raw TCP connection (HTTP/1.1, so kept alive after the answer, as a client
 * reusing its connection would; the caller destroys it). Raw sockets keep the client's own cost per
 * answer to a timestamp and a status-line check (no HTTP parser, no agent queue), so 1,000 answers
 * arriving together are timestamped within microseconds of their arrival rather than after each other's
 * parsing.
 */
export interface RawWaiter {
  connected: Promise<void>;
  /** performance.now() at the first byte of the answer, and its status code. */
  answered: Promise<{ at: number; status: number }>;
  socket: net.Socket;
}

export function rawGet(t: Target, path: string): RawWaiter {
  const socket = net.connect({ host: t.host, port: t.port, noDelay: true });
  let connectedOk!: () => void;
  let connectedFail!: (e: Error) => void;
  const connected = new Promise<void>((ok, fail) => ((connectedOk = ok), (connectedFail = fail)));
  const answered = new Promise<{ at: number; status: number }>((resolve, reject) => {
    let first: { at: number; status: number } | undefined;
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${t.host}:${t.port}\r\n\r\n`);
      connectedOk();
    });
    socket.on('data', (chunk: Buffer) => {
      if (first) return;
      const at = performance.now();
      first = { at, status: Number(chunk.toString('latin1', 9, 12)) };
      resolve(first);
    });
    socket.on('error', (e) => {
      connectedFail(e);
      reject(e);
    });
    socket.on('close', () => {
      if (!first) reject(new Error('closed without an answer'));
    });
  });
  connected.catch(() => undefined);
  answered.catch(() => undefined);
  return { connected, answered, socket };
}
