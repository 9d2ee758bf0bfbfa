import { JobRefView, JobView } from './job.model';
import { jobJson, jobListJson, jobRefJson, parametersJson, resultsJson } from './uws.json.serializer';

const t = (iso: string) => new Date(iso);

const minimalJob: JobView = {
  jobId: 'j1',
  jobType: 'sleep',
  phase: 'PENDING',
  creationTime: t('2026-11-25T06:39:07.786Z'),
  executionDuration: 0,
  parameters: [],
  results: [],
};

describe('jobJson', () => {
  it('uses null for every missing value, never leaving a field out', () => {
    expect(jobJson(minimalJob)).toEqual({
      jobId: 'j1',
      jobType: 'sleep',
      runId: null,
      ownerId: null,
      phase: 'PENDING',
      quote: null,
      creationTime: '2026-11-25T06:39:07.786Z',
      startTime: null,
      endTime: null,
      executionDuration: 0,
      destruction: null,
      parameters: {},
      results: [],
      errorSummary: null,
      jobInfo: null,
    });
  });

  it('writes every field, times as in the XML', () => {
    const json = jobJson({
      ...minimalJob,
      runId: 'r',
      ownerId: 'alice',
      phase: 'ERROR',
      quote: t('2026-11-25T06:45:00Z'),
      startTime: t('2026-11-25T06:40:00.001Z'),
      endTime: t('2026-11-25T06:41:00Z'),
      executionDuration: 600,
      destruction: t('2026-12-02T06:39:07.786Z'),
      parameters: [{ id: 'duration', value: '0.1', byReference: false }],
      results: [{ id: 'stdout', href: 'http://h/j1/results/stdout', size: 12, mimeType: 'text/plain' }],
      errorSummary: { type: 'fatal', hasDetail: true, message: 'exit code 3' },
      jobInfo: { slurmJobId: '4242' },
    });
    expect(json).toMatchObject({
      runId: 'r',
      ownerId: 'alice',
      quote: '2026-11-25T06:45:00.000Z',
      startTime: '2026-11-25T06:40:00.001Z',
      endTime: '2026-11-25T06:41:00.000Z',
      executionDuration: 600,
      destruction: '2026-12-02T06:39:07.786Z',
      parameters: { duration: '0.1' },
      results: [{ id: 'stdout', href: 'http://h/j1/results/stdout', size: 12, mimeType: 'text/plain' }],
      errorSummary: { type: 'fatal', hasDetail: true, message: 'exit code 3' },
      jobInfo: { slurmJobId: '4242' },
    });
  });

  it('survives a JSON round trip unchanged', () => {
    const json = jobJson({ ...minimalJob, jobInfo: { a: '1' }, parameters: [{ id: 'x', value: 'y', byReference: true }] });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('does not share the view objects it was built from', () => {
    const view: JobView = { ...minimalJob, jobInfo: { a: '1' } };
    jobJson(view).jobInfo!.a = 'changed';
    expect(view.jobInfo).toEqual({ a: '1' });
  });
});

describe('parametersJson', () => {
  it('maps inline values to strings and references to {value, byReference}', () => {
    expect(
      parametersJson([
        { id: 'QUERY', value: 'SELECT 1', byReference: false },
        { id: 'UPLOAD', value: 'http://h/j1/parameters/UPLOAD', byReference: true },
        { id: 'empty', value: '', byReference: false },
      ]),
    ).toEqual({ QUERY: 'SELECT 1', UPLOAD: { value: 'http://h/j1/parameters/UPLOAD', byReference: true }, empty: '' });
  });

  it('treats a parameter named __proto__ as data', () => {
    const out = parametersJson([{ id: '__proto__', value: 'x', byReference: false }]);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(JSON.stringify(out)).toBe('{"__proto__":"x"}');
  });
});

describe('resultsJson', () => {
  it('uses null for an unknown size or MIME type', () => {
    expect(resultsJson([{ id: 'a', href: 'http://h/a' }])).toEqual([{ id: 'a', href: 'http://h/a', size: null, mimeType: null }]);
  });
});

describe('job list', () => {
  const refs: JobRefView[] = [
    { jobId: 'b', href: 'http://h/jobs/b', phase: 'QUEUED', runId: 'r', ownerId: 'alice', creationTime: t('2026-11-25T06:39:08Z') },
    { jobId: 'a', href: 'http://h/jobs/a', phase: 'PENDING', creationTime: t('2026-11-25T06:39:07.786Z') },
  ];

  it('writes an empty list', () => {
    expect(jobListJson([])).toEqual({ jobs: [] });
  });

  it('writes refs in the order given, anonymous owner as null', () => {
    expect(jobListJson(refs)).toEqual({
      jobs: [
        { jobId: 'b', href: 'http://h/jobs/b', phase: 'QUEUED', runId: 'r', ownerId: 'alice', creationTime: '2026-11-25T06:39:08.000Z' },
        { jobId: 'a', href: 'http://h/jobs/a', phase: 'PENDING', runId: null, ownerId: null, creationTime: '2026-11-25T06:39:07.786Z' },
      ],
    });
    expect(jobRefJson(refs[1]).ownerId).toBeNull();
  });

  it('accepts any iterable', () => {
    function* gen() {
      yield* refs;
    }
    expect(jobListJson(gen()).jobs.map((j) => j.jobId)).toEqual(['b', 'a']);
  });
});
