import { loadConfig } from '../../src/config/app.config';
import { runUserCli } from '../../src/auth/user.cli';
import { ROOT } from './test-app';
import { assertValidUws } from './uws-xsd';

export interface Answer {
  status: number;
  type: string;
  location: string;
  text: string;
  headers: Headers;
}

export const basic = (name: string, secret: string) => `Basic ${Buffer.from(`${name}:${secret}`, 'utf8').toString('base64')}`;
export const bearer = (token: string) => `Bearer ${token}`;

type Body = Record<string, string | string[]> | FormData | string | undefined;

/**
 * A client with fixed credentials: an Authorization header, a session cookie, or neither. No redirects are
 * followed; 200 XML answers are checked against the UWS XSD.
 */
export class AuthClient {
  constructor(
    readonly baseUrl: string,
    readonly authorization?: string,
    readonly cookie?: string,
  ) {}

  url(p: string): string {
    return p.startsWith('http') ? p : `${this.baseUrl}${p}`;
  }

  async req(method: string, p: string, body?: Body, headers: Record<string, string> = {}): Promise<Answer> {
    const h: Record<string, string> = { ...headers };
    if (this.authorization) h.Authorization = this.authorization;
    if (this.cookie) h.Cookie = this.cookie;
    let payload: string | FormData | URLSearchParams | undefined;
    if (body instanceof FormData || typeof body === 'string') payload = body;
    else if (body) {
      payload = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) for (const x of Array.isArray(v) ? v : [v]) payload.append(k, x);
    }
    if (typeof body === 'string' && !h['Content-Type']) h['Content-Type'] = 'text/plain';
    const r = await fetch(this.url(p), { method, headers: h, body: payload, redirect: 'manual' });
    const text = await r.text();
    const type = r.headers.get('content-type') ?? '';
    if (r.status === 200 && /xml/.test(type)) assertValidUws(text);
    return { status: r.status, type, location: r.headers.get('location') ?? '', text, headers: r.headers };
  }

  get(p: string, headers: Record<string, string> = {}) {
    return this.req('GET', p, undefined, headers);
  }

  post(p: string, body: Body = {}, headers: Record<string, string> = {}) {
    return this.req('POST', p, body, headers);
  }

  async json<T = unknown>(p: string): Promise<T> {
    const r = await this.get(p, { Accept: 'application/json' });
    if (r.status !== 200) throw new Error(`GET ${p} answered ${r.status}: ${r.text}`);
    return JSON.parse(r.text) as T;
  }

  /** Creates a job, returns its absolute URL. */
  async create(type: string, form: Body = {}): Promise<string> {
    const r = await this.post(`/rest/${type}`, form);
    if (r.status !== 303) throw new Error(`create ${type} answered ${r.status}: ${r.text}`);
    return r.location;
  }

  /** Waits (WAIT, no polling) until the job leaves the active phases. */
  async settle(jobUrl: string, seconds = 30): Promise<string> {
    const deadline = Date.now() + seconds * 1000;
    let phase = (await this.get(`${jobUrl}/phase`)).text;
    while (['PENDING', 'QUEUED', 'EXECUTING'].includes(phase) && Date.now() < deadline) {
      await this.get(`${jobUrl}?WAIT=${Math.ceil((deadline - Date.now()) / 1000)}&PHASE=${phase}`);
      phase = (await this.get(`${jobUrl}/phase`)).text;
    }
    return phase;
  }
}

/** Runs `npm run user -- …` in-process on the database under dataDir; returns the exit code and what it printed. */
export async function userCli(dataDir: string, args: string[], stdin = ''): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, ROOT);
  const code = await runUserCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => stdin }, config);
  return { code, out, err };
}

/** The jobref ids (and owners) of a JSON job list. */
export async function listed(c: AuthClient, p: string): Promise<{ jobId: string; ownerId: string | null }[]> {
  return (await c.json<{ jobs: { jobId: string; ownerId: string | null }[] }>(p)).jobs;
}

/** Set-Cookie lines of an answer. */
export function setCookies(a: Answer): string[] {
  return a.headers.getSetCookie();
}

/** "name=value" of a cookie set by an answer, for a Cookie header. */
export function cookiePair(a: Answer, name: string): string | undefined {
  const line = setCookies(a).find((c) => c.startsWith(`${name}=`));
  return line?.split(';')[0];
}
