import { demoWadl, errors, errorText, parseDemo } from './fixtures/wadl.fixture';

describe('parseWadl: results', () => {
  const withResults = (options: string) => demoWadl('', { results: `<param name="result-id">${options}</param>` });

  it('refuses a WADL that declares no results', () => {
    expect(errorText(parseDemo(demoWadl('<param name="p"/>', { results: '' })))).toMatch(/no results declared/);
    expect(errorText(parseDemo(withResults('')))).toMatch(/no results declared/);
  });

  it('accepts uh:file, uh:default and the legacy default; mediaType defaults to octet-stream', () => {
    const o = parseDemo(withResults('<option value="a" uh:file="a.txt"/><option value="b" uh:default="b/*.png"/>' +
      '<option value="c" default="c.log" mediaType="text/plain"/>'));
    expect(errorText(o)).toBe('');
    expect(o.descriptor!.results).toEqual([
      { id: 'a', mediaType: 'application/octet-stream', file: 'a.txt' },
      { id: 'b', mediaType: 'application/octet-stream', file: 'b/*.png' },
      { id: 'c', mediaType: 'text/plain', file: 'c.log' },
    ]);
  });

  it.each([
    ['a parent directory', '<option value="a" uh:file="../secret"/>', /must be relative/],
    ['a dotted name', '<option value="a" uh:file="out/..x"/>', /must be relative/],
    ['an absolute path', '<option value="a" uh:file="/etc/passwd"/>', /must be relative/],
    ['no file', '<option value="a"/>', /result 'a' names no file/],
    ['an empty id', '<option value="" uh:file="x"/>', /without a value/],
    ['a duplicate id', '<option value="a" uh:file="x"/><option value="a" uh:file="y"/>', /result 'a' is declared twice/],
  ])('refuses a result with %s', (_label, options, message) => {
    const o = parseDemo(withResults(options));
    expect(o.descriptor).toBeUndefined();
    expect(errors(o)).toContainEqual(expect.objectContaining({ line: 10, message: expect.stringMatching(message) }));
  });
});

describe('parseWadl: execution duration, quote and cluster resources', () => {
  it('reads EXECUTIONDURATION default and uh:max (or legacy max)', () => {
    expect(parseDemo(demoWadl('<param name="EXECUTIONDURATION" type="xs:int" default="60" uh:max="120"/>'))
      .descriptor!.executionDuration).toEqual({ default: 60, max: 120 });
    expect(parseDemo(demoWadl('<param name="executionDuration" default="60" max="90"/>'))
      .descriptor!.executionDuration).toEqual({ default: 60, max: 90 });
    expect(parseDemo(demoWadl('')).descriptor!.executionDuration).toEqual({});
  });

  it.each([
    ['<param name="EXECUTIONDURATION" default="1.5"/>', /not a whole, non-negative number of seconds/],
    ['<param name="EXECUTIONDURATION" default="soon"/>', /is not a number/],
    ['<param name="EXECUTIONDURATION" default="600" uh:max="60"/>', /default 600 is above its maximum 60/],
  ])('refuses %s', (param, message) => {
    expect(errorText(parseDemo(demoWadl(param)))).toMatch(message);
  });

  it('reads the quote from uh:default or the legacy default anywhere in the document', () => {
    const rep = (attr: string) => `<response><representation id="quote" ${attr}/></response>`;
    expect(parseDemo(demoWadl('', { response: rep('uh:default="30"') })).descriptor!.quote).toBe(30);
    expect(parseDemo(demoWadl('', { response: rep('default="45"') })).descriptor!.quote).toBe(45);
    expect(errorText(parseDemo(demoWadl('', { response: rep('uh:default="-5"') })))).toMatch(/negative/);
  });

  it('reads cluster resources, and refuses defaults outside their limits', () => {
    const res = (body: string) => demoWadl('', { tail: `<uh:resources>${body}</uh:resources>` });
    expect(parseDemo(res('<uh:cpus default="4"/>')).descriptor!.resources).toEqual({ cpus: { default: 4, overridable: false } });
    expect(errorText(parseDemo(res('<uh:memory default="64" min="128" overridable="true"/>')))).toMatch(/memory: default 64 is outside/);
    expect(errorText(parseDemo(res('<uh:cpus min="8" max="2"/>')))).toMatch(/min 8 is greater than max 2/);
    expect(errorText(parseDemo(res('<uh:gpus default="1"/>')))).toMatch(/WADL schema: .*gpus/);
  });
});
