import { demoWadl, errors, errorText, parseDemo, readFixture, warnings } from './fixtures/wadl.fixture';
import { parseWadl } from './wadl.parser';

describe('parseWadl: the ctbin plugin (uh: extension, no legacy)', () => {
  const o = parseWadl(readFixture('ctbin.wadl'), { file: 'plugins/ctbin/ctbin.wadl', type: 'ctbin' });
  const d = o.descriptor!;

  it('parses without any message', () => {
    expect(o.messages).toEqual([]);
    expect(d.type).toBe('ctbin');
    expect(d.description).toBe('Bins an event list into a counts cube (CTA science tool ctbin)');
  });

  it('reads the parameters in order, without result-id and EXECUTIONDURATION', () => {
    expect(d.parameters.map((p) => `${p.name}:${p.type}`)).toEqual([
      'inobs:file', 'ebinalg:string', 'emin:double', 'emax:double', 'enumbins:int', 'nxpix:int',
      'binsz:double', 'coordsys:string', 'usepnt:boolean', 'outname:string',
    ]);
  });

  it('reads flags, defaults, choices, limits, units, patterns, sizes, docs and lines', () => {
    const [inobs, ebinalg, emin] = d.parameters;
    expect(inobs).toEqual({
      name: 'inobs', type: 'file', required: true, repeating: false, line: 11,
      maxSize: 1073741824, doc: 'Input event list (FITS)',
    });
    expect(ebinalg.default).toBe('LOG');
    expect(ebinalg.choices).toEqual([{ value: 'LIN', doc: 'Linear' }, { value: 'LOG' }, { value: 'FILE' }]);
    expect(emin).toMatchObject({ default: '0.1', min: 0.01, max: 1000, unit: 'TeV', line: 16 });
    expect(d.parameters.find((p) => p.name === 'outname')?.pattern).toBe('[A-Za-z0-9_]+');
    expect(d.parameters.every((p) => typeof p.line === 'number' && p.line > 0)).toBe(true);
  });

  it('reads results, duration, quote and cluster resources', () => {
    expect(d.results).toEqual([
      { id: 'outcube', mediaType: 'image/fits', file: 'cntcube.fits', doc: 'Counts cube' },
      { id: 'preview', mediaType: 'image/png', file: 'cntcube.png', doc: 'Preview' },
      { id: 'logfile', mediaType: 'text/plain', file: 'ctbin.log', doc: 'Log' },
    ]);
    expect(d.executionDuration).toEqual({ default: 600, max: 7200 });
    expect(d.quote).toBe(120);
    expect(d.resources).toEqual({
      cpus: { default: 2, overridable: true, min: 1, max: 8 },
      memory: { default: 2048, overridable: true, min: 512, max: 16384 },
      partition: { default: 'debug', overridable: false },
    });
  });

  it('yields plain JSON data', () => {
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
});

describe('parseWadl: the format document example', () => {
  const o = parseWadl(readFixture('ctbin-doc-example.wadl'), { file: 'ctbin.wadl', type: 'ctbin' });

  it('loads, warning only about the legacy option default attribute', () => {
    expect(errorText(o)).toBe('');
    expect(warnings(o).map((w) => w.line)).toEqual([21, 22, 23]);
    expect(warnings(o)[0].message).toMatch(/legacy attribute default on <option> tolerated/);
    expect(o.descriptor!.results.map((r) => r.file)).toEqual(['cntcube.fits', 'cntcube.png', 'ctbin.log']);
    expect(o.descriptor!.executionDuration).toEqual({ default: 600 });
    expect(o.descriptor!.quote).toBeUndefined();
    expect(o.descriptor!.resources).toEqual({});
  });
});

describe('parseWadl: a legacy VOPDC job list', () => {
  const o = parseWadl(readFixture('vopdc-legacy.wadl'), { file: 'ctselect.wadl', type: 'ctselect' });
  const d = o.descriptor!;

  it('loads with warnings', () => {
    expect(errorText(o)).toBe('');
    expect(warnings(o).length).toBeGreaterThanOrEqual(6);
  });

  it('matches the resource path with slashes, skips PHASE, keeps the untyped-prefix legacy forms', () => {
    expect(d.parameters.map((p) => p.name)).toEqual(['inobs', 'mode', 'ra', 'label']);
    expect(d.parameters[0]).toEqual({
      name: 'inobs', type: 'string', required: true, repeating: false, default: 'events.fits',
      doc: 'Input event list', line: 11,
    });
    expect(d.parameters[1].choices).toEqual([{ value: 'A' }, { value: 'B' }]);
    expect(d.parameters[2]).toMatchObject({ min: 0, max: 360 });
    expect(d.parameters[3].type).toBe('string');
  });

  it('warns about each legacy form with its line', () => {
    const w = warnings(o).map((m) => `${m.line} ${m.message}`);
    expect(w).toEqual(expect.arrayContaining([
      expect.stringMatching(/^12 legacy attribute choices on <param> tolerated/),
      expect.stringMatching(/^13 legacy attribute min on <param>/),
      expect.stringMatching(/^13 legacy attribute max on <param>/),
      expect.stringMatching(/^14 param 'label': unprefixed type "string" tolerated/),
      expect.stringMatching(/^21 legacy attribute default on <representation>/),
    ]));
  });

  it('reads legacy results, quote, and EXECUTIONDURATION from the phase resource', () => {
    expect(d.results).toEqual([
      { id: 'outobs', mediaType: 'application/fits', file: 'selected_events.fits' },
      { id: 'log', mediaType: 'application/octet-stream', file: '*.log' },
    ]);
    expect(d.quote).toBe(60);
    expect(d.executionDuration).toEqual({ default: 3600, max: 86400 });
  });
});

describe('parseWadl: document level', () => {
  it('refuses XML that is not well-formed, with the line of the first fault', () => {
    const o = parseWadl(readFixture('not-well-formed.wadl'), { file: 'broken.wadl', type: 'broken' });
    expect(o.descriptor).toBeUndefined();
    expect(o.messages).toEqual([
      { severity: 'error', file: 'broken.wadl', line: 5, message: expect.stringMatching(/^not well-formed XML: Opening and ending tag mismatch/) },
    ]);
  });

  it.each([
    ['empty', ''],
    ['text', 'hello'],
    ['undefined entity', '<application xmlns="http://wadl.dev.java.net/2009/02">&nope;</application>'],
  ])('refuses %s input', (_label, xml) => {
    const o = parseDemo(xml);
    expect(o.descriptor).toBeUndefined();
    expect(errors(o)[0].message).toMatch(/^not well-formed XML/);
    expect(errors(o)[0].line).toBeGreaterThan(0);
  });

  it('does not expand external entities', () => {
    const xml = demoWadl('').replace('<?xml version="1.0"?>',
      '<?xml version="1.0"?>\n<!DOCTYPE application [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
      .replace('Demo job', 'Demo &x;');
    const o = parseDemo(xml);
    expect(o.descriptor?.description ?? '').not.toMatch(/root:/);
  });

  it('refuses a root that is not wadl:application', () => {
    const o = parseWadl(readFixture('wrong-root.wadl'), { file: 'w.wadl', type: 'w' });
    expect(o.descriptor).toBeUndefined();
    expect(o.messages).toHaveLength(1);
    expect(o.messages[0]).toMatchObject({ severity: 'error', file: 'w.wadl', line: 2 });
    expect(o.messages[0].message).toMatch(/root element must be <application> in namespace http:\/\/wadl\.dev\.java\.net\/2009\/02/);
    expect(parseDemo('<resources xmlns="http://wadl.dev.java.net/2009/02"/>').messages[0].message).toMatch(/found <resources>/);
  });

  it('includes schema errors, with their line, and withholds the descriptor', () => {
    const o = parseDemo(demoWadl('          <param name="a" style="sideways"/>'));
    expect(o.descriptor).toBeUndefined();
    expect(errors(o)).toEqual([expect.objectContaining({ line: 9, message: expect.stringMatching(/^WADL schema: .*style/) })]);
  });

  it('takes the doc titled description, else the first doc, else nothing', () => {
    const titled = demoWadl('').replace('<doc title="description">Demo job</doc>',
      '<doc title="summary">Short</doc>\n<doc title="description">  The\n   long one </doc>');
    expect(parseDemo(titled).descriptor!.description).toBe('The long one');
    const untitled = demoWadl('').replace('<doc title="description">Demo job</doc>', '<doc>First</doc><doc>Second</doc>');
    expect(parseDemo(untitled).descriptor!.description).toBe('First');
    expect(parseDemo(demoWadl('').replace('<doc title="description">Demo job</doc>', '')).descriptor!.description).toBe('');
  });

  it('takes the resource whose path is the type, else the first', () => {
    const two = demoWadl('          <param name="wrong" type="xs:string"/>').replace('<resource path="demo">',
      `<resource path="other"><method name="POST"><request><param name="x"/>
       <param name="result-id"><option value="o" uh:file="o"/></param></request></method></resource>
       <resource path="demo">`);
    expect(parseDemo(two).descriptor!.parameters.map((p) => p.name)).toEqual(['wrong']);
    expect(parseWadl(two, { file: 'f', type: 'nothing-matches' }).descriptor!.parameters.map((p) => p.name)).toEqual(['x']);
  });

  it('refuses a WADL without resources or without a POST request', () => {
    const none = parseDemo(demoWadl('').replace(/<resources[\s\S]*<\/resources>/, ''));
    expect(errorText(none)).toMatch(/no <resources><resource>/);
    const noPost = parseDemo(demoWadl('').replace('<method name="POST">', '<method name="GET">'));
    expect(errorText(noPost)).toMatch(/no POST method/);
  });
});
