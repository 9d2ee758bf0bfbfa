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

/** Any request, no redirects followed; a 200 XML answer is checked against the XSD like get(). */
export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array | FormData | URLSearchParams } = {},
): Promise<{ status: number; type: string; location: string; text: string }> {
  const r = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, redirect: 'manual' });
  const text = await r.text();
  const type = r.headers.get('content-type') ?? '';
  if (r.status === 200 && /xml/.test(type)) assertValidUws(text);
  return { status: r.status, type, location: r.headers.get('location') ?? '', text };
}

/** The jobrefs of a <uws:jobs> document, in document order, plus the names of every child node. */
export function jobRefs(xml: string): { refs: { id: string; href: string; phase: string; runId?: string; creationTime?: string }[]; children: string[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const libxml = require('libxmljs2') as typeof import('libxmljs2');
  const doc = libxml.parseXml(xml, { nonet: true });
  const root = doc.root()!;
  const ns = { uws: 'http://www.ivoa.net/xml/UWS/v1.0', xlink: 'http://www.w3.org/1999/xlink' };
  const children = root.childNodes().map((n) => (n.type() === 'element' ? (n as import('libxmljs2').Element).name() : n.type()));
  const refs = root.find<import('libxmljs2').Element>('uws:jobref', ns).map((e) => ({
    id: e.attr('id')!.value(),
    href: e.attr('href')?.value() ?? '',
    phase: e.get<import('libxmljs2').Element>('uws:phase', ns)!.text(),
    runId: e.get<import('libxmljs2').Element>('uws:runId', ns)?.text(),
    creationTime: e.get<import('libxmljs2').Element>('uws:creationTime', ns)?.text(),
  }));
  return { refs, children };
}
