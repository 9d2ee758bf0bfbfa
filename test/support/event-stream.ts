/** A reader of the web client's live phase stream (GET /jobs/events, server-sent events) for the tests. */

export interface PhaseEvent {
  id: string;
  type: string | null;
  phase: string;
  owner: string | null;
  gone: boolean;
}

/** Collects the stream's `phase` events and comments; `until` resolves as soon as one matches (no polling). */
export class EventStream {
  readonly events: PhaseEvent[] = [];
  readonly comments: string[] = [];
  private readonly listeners = new Set<() => void>();
  private constructor(private readonly abort: AbortController) {}

  static async open(url: string, authorization: string): Promise<EventStream> {
    const abort = new AbortController();
    const r = await fetch(url, { headers: { Authorization: authorization, Accept: 'text/event-stream' }, signal: abort.signal });
    const type = r.headers.get('content-type') ?? '';
    if (r.status !== 200 || !type.startsWith('text/event-stream')) throw new Error(`GET ${url} answered ${r.status} ${type}`);
    const s = new EventStream(abort);
    void s.read(r.body!.getReader());
    await s.untilComment('connected');
    return s;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const lines = buf.slice(0, end).split('\n');
          buf = buf.slice(end + 2);
          for (const line of lines) if (line.startsWith(': ')) this.comments.push(line.slice(2));
          const data = lines.find((l) => l.startsWith('data: '));
          if (lines[0] === 'event: phase' && data) this.events.push(JSON.parse(data.slice(6)) as PhaseEvent);
          for (const l of [...this.listeners]) l();
        }
      }
    } catch {
      /* closed */
    }
  }

  private wait(ok: () => boolean, what: string, ms: number): Promise<void> {
    if (ok()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ok()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(this.events)}`));
      }, ms);
      this.listeners.add(check);
    });
  }

  until(match: (e: PhaseEvent) => boolean, what: string, ms = 20000): Promise<void> {
    return this.wait(() => this.events.some(match), what, ms);
  }

  untilComment(text: string, ms = 5000): Promise<void> {
    return this.wait(() => this.comments.includes(text), `comment '${text}'`, ms);
  }

  close(): void {
    this.abort.abort();
  }
}
