import { JobEvents } from './job.events';

describe('JobEvents', () => {
  it('wakes every waiter of a job on its phase change, and only them', async () => {
    const e = new JobEvents();
    const a = e.subscribe('j1', 10_000);
    const b = e.subscribe('j1', 10_000);
    const other = e.subscribe('j2', 10_000);
    expect(e.waiting()).toBe(3);
    e.phaseChanged('j1', 'EXECUTING');
    await expect(a.done).resolves.toBe('EXECUTING');
    await expect(b.done).resolves.toBe('EXECUTING');
    expect(e.waiting()).toBe(1);
    other.cancel();
    await expect(other.done).resolves.toBeUndefined();
    expect(e.waiting()).toBe(0);
  });

  it('answers undefined on timeout or abort, counting each waiter once', async () => {
    const e = new JobEvents();
    const t = e.subscribe('j', 10);
    await expect(t.done).resolves.toBeUndefined();
    const ac = new AbortController();
    const s = e.subscribe('j', 10_000, ac.signal);
    ac.abort();
    s.cancel();
    await expect(s.done).resolves.toBeUndefined();
    expect(e.waiting()).toBe(0);
  });

  it('tells "any job" listeners about every change', () => {
    const e = new JobEvents();
    const seen: string[] = [];
    const off = e.onAny((id, phase) => seen.push(`${id}:${phase}`));
    e.phaseChanged('a', 'QUEUED');
    off();
    e.phaseChanged('b', 'QUEUED');
    expect(seen).toEqual(['a:QUEUED']);
  });
});
