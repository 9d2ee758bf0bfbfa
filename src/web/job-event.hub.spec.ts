import { JobEvents } from '../uws/job.events';
import { EventClient, JobEventHub, JobLookup, PhaseEventData } from './job-event.hub';

type Row = Awaited<ReturnType<JobLookup['peek']>>;

function client(owner: string | null, admin = false) {
  const chunks: string[] = [];
  const c: EventClient & { chunks: string[]; ended: boolean; events: () => PhaseEventData[] } = {
    owner,
    admin,
    chunks,
    ended: false,
    write: (s) => void chunks.push(s),
    end: () => void (c.ended = true),
    events: () => chunks.filter((s) => s.startsWith('event: phase\n')).map((s) => JSON.parse(s.split('\n')[1].slice(6)) as PhaseEventData),
  };
  return c;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('JobEventHub', () => {
  const rows = new Map<string, Row>();
  const lookup: JobLookup = { peek: jest.fn(async (id: string) => rows.get(id) ?? null) };
  let events: JobEvents;
  let hub: JobEventHub;

  beforeEach(() => {
    rows.clear();
    rows.set('a1', { type: 'sleep', ownerId: 'alice', runId: 'r<1>', creationTime: 1000, startTime: 2000, endTime: null });
    rows.set('b1', { type: 'ctbin', ownerId: 'bob', runId: null, creationTime: 1000, startTime: null, endTime: null });
    rows.set('n1', { type: 'sleep', ownerId: null, creationTime: 1000 });
    (lookup.peek as jest.Mock).mockClear();
    events = new JobEvents();
    hub = new JobEventHub(events, lookup, 50);
  });
  afterEach(() => hub.close());

  it('sends each change to the owner and to administrators only', async () => {
    const alice = client('alice');
    const bob = client('bob');
    const anon = client(null);
    const admin = client('root', true);
    for (const c of [alice, bob, anon, admin]) hub.add(c);
    events.phaseChanged('a1', 'EXECUTING');
    events.phaseChanged('b1', 'QUEUED');
    events.phaseChanged('n1', 'COMPLETED');
    await settle();
    expect(alice.events()).toEqual([
      { id: 'a1', type: 'sleep', phase: 'EXECUTING', owner: 'alice', runId: 'r<1>', creationTime: '1970-01-01T00:00:01.000Z',
        startTime: '1970-01-01T00:00:02.000Z', endTime: null, gone: false },
    ]);
    expect(bob.events().map((e) => e.id)).toEqual(['b1']);
    expect(anon.events().map((e) => e.id)).toEqual(['n1']);
    expect(admin.events().map((e) => e.id)).toEqual(['a1', 'b1', 'n1']);
    // One read per change, however many streams.
    expect(lookup.peek).toHaveBeenCalledTimes(3);
  });

  it("keeps one job's events in order and tells the owner when a job it knew is destroyed", async () => {
    const alice = client('alice');
    hub.add(alice);
    events.phaseChanged('a1', 'QUEUED');
    events.phaseChanged('a1', 'EXECUTING');
    await settle();
    rows.delete('a1');
    events.jobGone('a1');
    hub.remember('x9', 'sleep', 'alice');
    events.jobGone('x9');
    events.jobGone('unknown');
    await settle();
    expect(alice.events().map((e) => [e.id, e.phase, e.gone])).toEqual([
      ['a1', 'QUEUED', false],
      ['a1', 'EXECUTING', false],
      ['a1', 'ARCHIVED', true],
      ['x9', 'ARCHIVED', true],
    ]);
  });

  it('listens only while streams are open, sends heartbeats, and ends the streams on close', async () => {
    events.phaseChanged('a1', 'QUEUED');
    await settle();
    expect(lookup.peek).not.toHaveBeenCalled();
    const alice = client('alice');
    const remove = hub.add(alice);
    await new Promise((r) => setTimeout(r, 120));
    expect(alice.chunks.filter((c) => c === ': ping\n\n').length).toBeGreaterThanOrEqual(2);
    remove();
    expect(hub.size).toBe(0);
    events.phaseChanged('a1', 'EXECUTING');
    await settle();
    expect(lookup.peek).not.toHaveBeenCalled();
    const bob = client('bob');
    hub.add(bob);
    hub.close();
    expect(bob.ended).toBe(true);
    expect(hub.size).toBe(0);
  });
});
