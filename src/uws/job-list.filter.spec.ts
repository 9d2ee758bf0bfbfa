import { parseJobListFilter, parseWait, queryValues } from './job-list.filter';

describe('queryValues', () => {
  it('collects repeated values under any case of the name', () => {
    expect(queryValues({ phase: ['A', 'B'], PHASE: 'C', Phase: undefined, other: 'x' }, 'PHASE')).toEqual([
      'A',
      'B',
      'C',
    ]);
  });
});

describe('parseJobListFilter', () => {
  it('gives an empty filter for no query (ARCHIVED exclusion is the service rule, not ours)', () => {
    expect(parseJobListFilter({})).toEqual({ filter: {} });
  });

  it('ignores unrelated parameters', () => {
    expect(parseJobListFilter({ foo: 'bar', WAIT: 'x', format: 'json' })).toEqual({ filter: {} });
  });

  it('matches names case-insensitively', () => {
    expect(parseJobListFilter({ phase: 'PENDING', After: '2015', last: '3' })).toEqual({
      filter: { phases: ['PENDING'], after: new Date('2015-01-01T00:00:00Z'), last: 3 },
    });
  });

  it('unions repeated PHASE values, without duplicates, across key spellings', () => {
    expect(parseJobListFilter({ PHASE: ['PENDING', 'ARCHIVED', 'PENDING'], phase: 'ERROR' })).toEqual({
      filter: { phases: ['PENDING', 'ARCHIVED', 'ERROR'] },
    });
  });

  it.each(['pendinggg', 'SUCCESS', 'pending', '', ' PENDING'])('rejects PHASE=%j naming the value', (value) => {
    const result = parseJobListFilter({ PHASE: ['PENDING', value] });
    expect(result).toEqual({ error: expect.stringContaining(`got '${value}'`) });
    expect((result as { error: string }).error).toMatch(/^PHASE must be one of PENDING, QUEUED, /);
  });

  it('parses AFTER leniently, as UTC', () => {
    expect(parseJobListFilter({ AFTER: '2015-10-26 09:00' })).toEqual({
      filter: { after: new Date('2015-10-26T09:00:00.000Z') },
    });
    expect(parseJobListFilter({ AFTER: '2026-11-25T06:38:31.891000' })).toEqual({
      filter: { after: new Date('2026-11-25T06:38:31.891Z') },
    });
  });

  it.each(['2015-26-10', 'sometext', '2015-10-26T09:00 01:00', ''])('rejects AFTER=%j', (value) => {
    expect(parseJobListFilter({ AFTER: value })).toEqual({
      error: `AFTER must be an ISO 8601 instant such as 2015-10-26T09:15:35Z, got '${value}'`,
    });
  });

  it('ANDs repeated AFTER values: the latest wins', () => {
    expect(parseJobListFilter({ AFTER: ['2016', '2015-06-01', '2015'] })).toEqual({
      filter: { after: new Date('2016-01-01T00:00:00Z') },
    });
  });

  it.each([
    ['1', 1],
    ['25', 25],
    ['007', 7],
  ])('accepts LAST=%s', (value, n) => {
    expect(parseJobListFilter({ LAST: value })).toEqual({ filter: { last: n } });
  });

  it.each(['0', '-1', 'sometext', '1.5', '', '+3', ' 3', '1e3', '0x10', '99999999999999999999'])(
    'rejects LAST=%j',
    (value) => {
      expect(parseJobListFilter({ LAST: value })).toEqual({
        error: `LAST must be an integer greater than 0, got '${value}'`,
      });
    },
  );

  it('ANDs repeated LAST values: the smallest wins', () => {
    expect(parseJobListFilter({ LAST: ['5', '2', '9'] })).toEqual({ filter: { last: 2 } });
  });

  it('keeps error messages on one line and short', () => {
    const result = parseJobListFilter({ LAST: `1\n${'x'.repeat(200)}` }) as { error: string };
    expect(result.error).not.toContain('\n');
    expect(result.error.length).toBeLessThan(140);
  });
});

describe('parseWait', () => {
  it('is empty without WAIT or PHASE', () => {
    expect(parseWait({ other: '1' })).toEqual({});
  });

  it.each([
    ['0', 0],
    ['10', 10],
    ['-1', -1],
  ])('accepts WAIT=%s', (value, wait) => {
    expect(parseWait({ WAIT: value })).toEqual({ wait });
  });

  it.each(['-2', '-10', '1.5', 'soon', '', '-', '-1.0', '1e2'])('rejects WAIT=%j', (value) => {
    expect(parseWait({ WAIT: value })).toEqual({
      error: `WAIT must be a whole number of seconds (0 or more, or -1 for no limit), got '${value}'`,
    });
  });

  it('reads PHASE alongside WAIT, names case-insensitively', () => {
    expect(parseWait({ wait: '30', phase: 'EXECUTING' })).toEqual({ wait: 30, phase: 'EXECUTING' });
  });

  it('rejects an invalid PHASE', () => {
    expect(parseWait({ WAIT: '30', PHASE: 'executing' })).toEqual({
      error: expect.stringMatching(/^PHASE must be one of .*, got 'executing'$/),
    });
  });

  it('accepts identical repeats but rejects conflicting ones', () => {
    expect(parseWait({ WAIT: ['5', '5'] })).toEqual({ wait: 5 });
    expect(parseWait({ WAIT: '5', wait: '6' })).toEqual({ error: "WAIT must be given once, got '5', '6'" });
    expect(parseWait({ PHASE: ['QUEUED', 'PENDING'] })).toEqual({
      error: "PHASE must be given once, got 'QUEUED', 'PENDING'",
    });
  });
});
