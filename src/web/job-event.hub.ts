import { Logger } from '@nestjs/common';
import type { JobEvents } from '../uws/job.events';
import type { Phase } from '../uws/job.model';

/** What the hub reads of a job to address and describe its event (JobViews.peek). */
export interface JobLookup {
  peek(id: string): Promise<{
    type: string;
    ownerId?: string | null;
    runId?: string | null;
    creationTime: number;
    startTime?: number | null;
    endTime?: number | null;
  } | null>;
}

/** The data of one `phase` event on the stream. */
export interface PhaseEventData {
  id: string;
  type: string | null;
  phase: Phase;
  owner: string | null;
  runId: string | null;
  creationTime: string | null;
  startTime: string | null;
  endTime: string | null;
  /** The job was destroyed: there is nothing left to show. */
  gone: boolean;
}

/** One open event stream and whose jobs it may see. */
export interface EventClient {
  /** The caller's ownerId (null: the anonymous caller). */
  owner: string | null;
  admin: boolean;
  write(chunk: string): void;
  end(): void;
}

const iso = (ms?: number | null) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
/** Type and owner never change: remembered for the jobs seen, so a destroyed job's last event still finds its owner. */
const MAX_REMEMBERED = 10000;

/**
 * Fans the in-process phase changes (JobEvents, the same notifications that wake WAIT) out to the web
 * client's server-sent event streams, each filtered to its caller's own jobs (administrators: all). It
 * listens only while a stream is open; each change costs one read of the job by id, shared by all streams.
 * A comment line every `heartbeatMs` keeps idle connections (and proxies) from timing out.
 */
export class JobEventHub {
  private readonly logger = new Logger('JobEventHub');
  private readonly clients = new Set<EventClient>();
  private readonly remembered = new Map<string, { type: string; owner: string | null }>();
  /** Per job, the tail of its deliveries: a job's events go out in the order they happened. */
  private readonly tails = new Map<string, Promise<void>>();
  private unsubscribe?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly events: JobEvents,
    private readonly lookup: JobLookup,
    private readonly heartbeatMs = 20000,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Open streams of one owner (null: anonymous callers). */
  countFor(owner: string | null): number {
    let n = 0;
    for (const c of this.clients) if (c.owner === owner) n++;
    return n;
  }

  /** Adds a stream; returns what removes it (call it when the connection closes). */
  add(client: EventClient): () => void {
    this.clients.add(client);
    this.unsubscribe ??= this.events.onAny((id, phase) => this.changed(id, phase));
    this.timer ??= setInterval(() => this.broadcast(': ping\n\n'), this.heartbeatMs).unref();
    return () => this.remove(client);
  }

  /** Ends every stream (application shutdown: open streams would keep the server from closing). */
  close(): void {
    for (const c of [...this.clients]) {
      this.remove(c);
      c.end();
    }
  }

  private remove(client: EventClient): void {
    if (!this.clients.delete(client) || this.clients.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private broadcast(chunk: string): void {
    for (const c of this.clients) c.write(chunk);
  }

  private changed(id: string, phase: Phase): void {
    const tail = (this.tails.get(id) ?? Promise.resolve())
      .then(() => this.deliver(id, phase))
      .catch((e: Error) => this.logger.warn(`job ${id}: event not delivered: ${e.message}`));
    this.tails.set(id, tail);
    void tail.then(() => {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
  }

  private async deliver(id: string, phase: Phase): Promise<void> {
    if (this.clients.size === 0) return;
    const rec = await this.lookup.peek(id);
    if (rec) this.remember(id, rec.type, rec.ownerId ?? null);
    const known = this.remembered.get(id);
    const data: PhaseEventData = {
      id,
      type: known?.type ?? null,
      phase,
      owner: known?.owner ?? null,
      runId: rec?.runId ?? null,
      creationTime: iso(rec?.creationTime),
      startTime: iso(rec?.startTime),
      endTime: iso(rec?.endTime),
      gone: !rec,
    };
    if (!rec) this.remembered.delete(id);
    const chunk = `event: phase\ndata: ${JSON.stringify(data)}\n\n`;
    // A job nobody remembers (destroyed before any stream saw it) is told to administrators only.
    for (const c of this.clients) if (c.admin || (known !== undefined && c.owner === known.owner)) c.write(chunk);
  }

  /** Notes a job's type and owner (the pages call it for the jobs they show). */
  remember(id: string, type: string, owner: string | null): void {
    if (this.remembered.has(id)) return;
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(id, { type, owner });
  }
}
