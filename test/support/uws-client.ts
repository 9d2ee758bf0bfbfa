import { assertValidUws } from './uws-xsd';

/** A small UWS client for the tests: no redirects followed, every XML answer checked against the XSD. */
export class UwsClient {
  constructor(readonly baseUrl: string) {}

  url(p: string): string {
    return p.startsWith('http') ? p : `${this.baseUrl}${p}`;
  }

  async get(p: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string; ms: number }> {
    const t0 = Date.now();
    const r = await fetch(this.url(p), { headers, redirect: 'manual' });
    const text = await r.text();
    const type = r.headers.get('content-type') ?? '';
    if (r.status === 200 && /xml/.test(type)) assertValidUws(text);
    return { status: r.status, type, text, ms: Date.now() - t0 };
  }

  /** Form POST (or multipart when given a FormData); returns status, Location and body. */
  async post(p: string, form: Record<string, string | string[]> | FormData = {}, method = 'POST') {
    let body: URLSearchParams | FormData;
    if (form instanceof FormData) body = form;
    else {
      body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    }
    const r = await fetch(this.url(p), { method, body, redirect: 'manual' });
    return { status: r.status, location: r.headers.get('location') ?? '', text: await r.text() };
  }

  async del(p: string) {
    const r = await fetch(this.url(p), { method: 'DELETE', redirect: 'manual' });
    return { status: r.status, location: r.headers.get('location') ?? '', text: await r.text() };
  }

  /** Creates a job and returns its absolute URL. */
  async create(type: string, form: Record<string, string | string[]> | FormData = {}): Promise<string> {
    const r = await this.post(`/rest/${type}`, form);
    if (r.status !== 303) throw new Error(`create ${type} answered ${r.status}: ${r.text}`);
    return r.location;
  }

  async phase(jobUrl: string): Promise<string> {
    return (await this.get(`${jobUrl}/phase`)).text;
  }

  /** Waits (WAIT, event-driven on the server) until the job leaves the active phases or the deadline passes. */
  async settle(jobUrl: string, seconds = 30): Promise<string> {
    const deadline = Date.now() + seconds * 1000;
    let phase = await this.phase(jobUrl);
    while (['PENDING', 'QUEUED', 'EXECUTING'].includes(phase) && Date.now() < deadline) {
      await this.get(`${jobUrl}?WAIT=${Math.ceil((deadline - Date.now()) / 1000)}&PHASE=${phase}`);
      phase = await this.phase(jobUrl);
    }
    return phase;
  }
}

export function xmlValue(xml: string, element: string): string | undefined {
  const m = new RegExp(`<uws:${element}(?: [^>]*)?>([^<]*)</uws:${element}>`).exec(xml);
  return m?.[1];
}
