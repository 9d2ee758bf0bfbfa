import type { Phase } from './job.model';

type Waiter = (phase: Phase) => void;
/** Told of every job's phase changes (the web client's event stream); ARCHIVED also when a job is destroyed. */
export type AnyJobListener = (jobId: string, phase: Phase) => void;

/**
 * In-process notification of phase changes. WAIT requests subscribe to one job here,
 * the web client's event stream to all (onAny), and are woken by the change itself; nothing polls the database.
 */
export class JobEvents {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Subscriptions not yet finished (woken, timed out or cancelled). */
  private pending = 0;
  private readonly anyListeners = new Set<AnyJobListener>();

  phaseChanged(jobId: string, phase: Phase): void {
    const set = this.waiters.get(jobId);
    if (set) {
      this.waiters.delete(jobId);
      for (const w of set) w(phase);
    }
    for (const l of this.anyListeners) l(jobId, phase);
  }

  /** Listens to the phase changes of every job, synchronously (keep it cheap); returns the unsubscribe. */
  onAny(listener: AnyJobListener): () => void {
    this.anyListeners.add(listener);
    return () => {
      this.anyListeners.delete(listener);
    };
  }

  /** The job is gone (destroyed): its waiters answer now, and find nothing. */
  jobGone(jobId: string): void {
    this.phaseChanged(jobId, 'ARCHIVED');
  }

  /**
   * Resolves on the next phase change of the job, or with undefined after `timeoutMs` or when `abort` fires.
   * Subscribe before reading the job's current phase so that no change falls between the two.
   */
  subscribe(jobId: string, timeoutMs: number, abort?: AbortSignal): { done: Promise<Phase | undefined>; cancel: () => void } {
    let settle!: (p: Phase | undefined) => void;
    const done = new Promise<Phase | undefined>((resolve) => (settle = resolve));
    let set = this.waiters.get(jobId);
    if (!set) this.waiters.set(jobId, (set = new Set()));
    const waiter: Waiter = (phase) => finish(phase);
    set.add(waiter);
    this.pending++;
    let finished = false;
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const onAbort = () => finish(undefined);
    abort?.addEventListener('abort', onAbort, { once: true });
    const finish = (phase: Phase | undefined) => {
      if (finished) return;
      finished = true;
      this.pending--;
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      const s = this.waiters.get(jobId);
      if (s) {
        s.delete(waiter);
        if (s.size === 0) this.waiters.delete(jobId);
      }
      settle(phase);
    };
    return { done, cancel: () => finish(undefined) };
  }

  /** Number of pending waiters (for logs and tests). */
  waiting(): number {
    return this.pending;
  }
}
