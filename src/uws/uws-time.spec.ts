import { formatUwsTime, parseUwsInstant } from './uws-time';

const iso = (text: string) => parseUwsInstant(text)?.toISOString();

describe('formatUwsTime', () => {
  it('writes UTC with milliseconds and Z', () => {
    expect(formatUwsTime(new Date(Date.UTC(2009, 4, 19, 17, 1, 44, 38)))).toBe('2009-05-19T17:01:44.038Z');
  });

  it('round-trips through parseUwsInstant', () => {
    const d = new Date(Date.UTC(2026, 10, 25, 6, 39, 7, 786));
    expect(parseUwsInstant(formatUwsTime(d))?.getTime()).toBe(d.getTime());
  });
});

describe('parseUwsInstant', () => {
  it.each([
    // the forms the digest §5 says must be accepted
    ['2015-10-26T09:15:35', '2015-10-26T09:15:35.000Z'],
    ['2015-10-26 09:00', '2015-10-26T09:00:00.000Z'],
    ['2015-10-26', '2015-10-26T00:00:00.000Z'],
    ['2015', '2015-01-01T00:00:00.000Z'],
    ['20151026', '2015-10-26T00:00:00.000Z'],
    ['2026-11-25T06:38:31.891000', '2026-11-25T06:38:31.891Z'],
    // the spec's own AFTER example
    ['2014-09-10T10:01:02.000Z', '2014-09-10T10:01:02.000Z'],
    // fractions are truncated, never rounded, so a value never moves past the serialized instant
    ['2015-10-26T09:15:35.9999Z', '2015-10-26T09:15:35.999Z'],
    ['2015-10-26T09:15:35.5', '2015-10-26T09:15:35.500Z'],
    ['2015-10-26T09:15:35,25Z', '2015-10-26T09:15:35.250Z'],
    // explicit offsets, as received when the client encoded `+` properly
    ['2015-10-26T09:00+01:00', '2015-10-26T08:00:00.000Z'],
    ['2015-10-26T09:00-05:00', '2015-10-26T14:00:00.000Z'],
    ['2015-10-26T09:00:00+0530', '2015-10-26T03:30:00.000Z'],
    ['2015-10-26T00:30+01', '2015-10-25T23:30:00.000Z'],
    ['2015-10-26T09:15:35Z', '2015-10-26T09:15:35.000Z'],
    ['2015-10-26t09:15:35z', '2015-10-26T09:15:35.000Z'],
    // other common shapes
    ['2015-10', '2015-10-01T00:00:00.000Z'],
    ['2015-10-26T09', '2015-10-26T09:00:00.000Z'],
    ['20151026T091535Z', '2015-10-26T09:15:35.000Z'],
    ['2016-02-29T00:00:00Z', '2016-02-29T00:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['0050-06-01', '0050-06-01T00:00:00.000Z'],
  ])('accepts %s', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it.each([
    '2015-26-10', // month 26
    'sometext',
    '2015-10-26T09:00 01:00', // `+01:00` whose `+` was decoded into a space
    '2015-10-26T09:00+01:00 ',
    ' 2015-10-26',
    '',
    '2015-02-30', // Feb 30
    '2015-02-29', // not a leap year
    '1900-02-29', // century, not a leap year
    '2015-04-31',
    '2015-10-26T25:00', // hour 25
    '2015-10-26T24:00', // end-of-day 24:00 is left out on purpose
    '2015-10-26T09:60',
    '2015-10-26T09:00:60', // leap seconds cannot be represented
    '2015-00-10',
    '2015-10-00',
    '2015-10-26T09:00+24:00',
    '2015-10-26T09:00+01:60',
    '2015-10-26Z', // a zone needs a time
    '201510', // basic YYYYMM is not ISO 8601
    '15-10-26',
    '2015-10-26T',
    '2015-10-26T9:00',
    '2015-10-26T09:00:00.',
    '2015/10/26',
    '2015-10-26T09:00:00Z\n',
    '１２３４', // non-ASCII digits
  ])('rejects %j', (text) => {
    expect(parseUwsInstant(text)).toBeUndefined();
  });
});
