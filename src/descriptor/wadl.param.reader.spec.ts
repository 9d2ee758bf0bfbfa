import { demoWadl, errors, errorText, oneParam, parseDemo, warnings } from './fixtures/wadl.fixture';

describe('parseWadl: parameter types', () => {
  it.each([
    ['xs:string', 'string'], ['xs:int', 'int'], ['xs:long', 'long'], ['xs:integer', 'integer'],
    ['xs:double', 'double'], ['xs:float', 'float'], ['xs:boolean', 'boolean'], ['xs:dateTime', 'dateTime'],
    ['xs:anyURI', 'anyURI'], ['file', 'file'],
  ])('maps %s to %s', (written, type) => {
    expect(oneParam(`<param name="p" type="${written}"/>`).type).toBe(type);
  });

  it('defaults a missing type to string', () => {
    expect(oneParam('<param name="p"/>').type).toBe('string');
  });

  it('accepts any prefix bound to the XML Schema namespace', () => {
    expect(oneParam('<param xmlns:xsd="http://www.w3.org/2001/XMLSchema" name="p" type="xsd:double"/>').type).toBe('double');
  });

  it('tolerates an unprefixed XSD type name with a warning', () => {
    const o = parseDemo(demoWadl('<param name="p" type="int"/>'));
    expect(o.descriptor!.parameters[0].type).toBe('int');
    expect(warnings(o)).toEqual([expect.objectContaining({ line: 9, message: expect.stringMatching(/unprefixed type "int"/) })]);
  });

  it.each([
    ['xs:decimal', /unknown type "xs:decimal"/],
    ['xs:file', /unknown type "xs:file"/],
    ['uh:int', /unknown type "uh:int"/],
    ['blob', /unknown type "blob"/],
  ])('refuses type %s', (type, message) => {
    const o = parseDemo(demoWadl(`<param name="p" type="${type}"/>`));
    expect(o.descriptor).toBeUndefined();
    expect(errors(o)).toEqual([expect.objectContaining({ file: 'demo.wadl', line: 9, message: expect.stringMatching(message) })]);
  });

  it('refuses a prefix bound to no namespace', () => {
    const o = parseDemo(demoWadl('<param name="p" type="foo:int"/>'));
    expect(o.descriptor).toBeUndefined();
    expect(errorText(o)).toMatch(/unknown type "foo:int"/);
  });
});

describe('parseWadl: parameter attributes', () => {
  it('reads required, repeating and fixed (xs:boolean lexical forms)', () => {
    const p = oneParam('<param name="p" type="xs:int" required="1" repeating="true" fixed="3"/>');
    expect(p).toMatchObject({ required: true, repeating: true, fixed: '3' });
    expect(oneParam('<param name="p" required="false"/>')).toMatchObject({ required: false, repeating: false });
  });

  it('accepts required together with a default', () => {
    expect(oneParam('<param name="p" type="xs:int" required="true" default="4"/>')).toMatchObject({ required: true, default: '4' });
  });

  it('skips UWS control names in any case and result-id', () => {
    const o = parseDemo(demoWadl(['phase', 'RunId', 'ExecutionDuration', 'DESTRUCTION', 'action', 'wait', 'real']
      .map((n) => `<param name="${n}" type="xs:string"/>`).join('\n')));
    expect(o.descriptor!.parameters.map((p) => p.name)).toEqual(['real']);
  });

  it('reads option choices with their docs', () => {
    const p = oneParam('<param name="p"><option value="A"><doc> first\n choice </doc></option><option value="B"/></param>');
    expect(p.choices).toEqual([{ value: 'A', doc: 'first choice' }, { value: 'B' }]);
  });

  it('reads legacy choices="A|B|C" with a schema warning', () => {
    const o = parseDemo(demoWadl('<param name="p" choices="A| B |C"/>'));
    expect(o.descriptor!.parameters[0].choices).toEqual([{ value: 'A' }, { value: 'B' }, { value: 'C' }]);
    expect(warnings(o)[0].message).toMatch(/legacy attribute choices/);
  });

  it('prefers options over a legacy choices attribute, and says so', () => {
    const o = parseDemo(demoWadl('<param name="p" choices="X|Y"><option value="A"/></param>'));
    expect(o.descriptor!.parameters[0].choices).toEqual([{ value: 'A' }]);
    expect(warnings(o).map((w) => w.message).join('\n')).toMatch(/the options are used/);
  });

  it('prefers uh:min/uh:max over legacy min/max', () => {
    const p = oneParam('<param name="p" type="xs:double" uh:min="1" uh:max="2" min="5" max="9"/>');
    expect(p).toMatchObject({ min: 1, max: 2 });
  });

  it('reads unit, pattern and maxSize', () => {
    expect(oneParam('<param name="p" type="xs:double" uh:unit="deg"/>').unit).toBe('deg');
    expect(oneParam('<param name="p" uh:pattern="[a-z]+"/>').pattern).toBe('[a-z]+');
    expect(oneParam('<param name="p" type="file" uh:maxSize="1024"/>').maxSize).toBe(1024);
  });

  it('warns about limits that do not apply to the type', () => {
    const sized = parseDemo(demoWadl('<param name="p" type="xs:string" uh:maxSize="10"/>'));
    expect(warnings(sized)[0].message).toMatch(/maxSize only applies to file/);
    const bounded = parseDemo(demoWadl('<param name="p" type="xs:string" uh:min="1"/>'));
    expect(warnings(bounded)[0].message).toMatch(/min\/max only apply to numeric types/);
  });

  it('reads the param doc', () => {
    expect(oneParam('<param name="p"><doc>Help <b xmlns="http://www.w3.org/1999/xhtml">me</b></doc></param>').doc).toBe('Help me');
  });
});

describe('parseWadl: refused parameters', () => {
  it.each([
    ['default outside its choices', '<param name="p" default="C"><option value="A"/><option value="B"/></param>', /default "C" is not one of its choices A, B/],
    ['default outside legacy choices', '<param name="p" default="C" choices="A|B"/>', /default "C" is not one of its choices/],
    ['default below min', '<param name="p" type="xs:int" default="0" uh:min="1"/>', /default "0" is below its minimum 1/],
    ['default above max', '<param name="p" type="xs:double" default="10.5" uh:max="10"/>', /default "10.5" is above its maximum 10/],
    ['default above legacy max', '<param name="p" type="xs:double" default="400" max="360"/>', /is above its maximum 360/],
    ['int default not an int', '<param name="p" type="xs:int" default="1.5"/>', /default "1.5" is not a valid int/],
    ['boolean default not a boolean', '<param name="p" type="xs:boolean" default="yes"/>', /not a valid boolean/],
    ['dateTime default', '<param name="p" type="xs:dateTime" default="2024-13-01"/>', /not a valid dateTime/],
    ['anyURI default', '<param name="p" type="xs:anyURI" default="ftp://x/y"/>', /not a valid anyURI/],
    ['fixed not an int', '<param name="p" type="xs:int" fixed="x"/>', /fixed "x" is not a valid int/],
    ['default not matching pattern', '<param name="p" uh:pattern="[a-z]+" default="A1"/>', /does not match its pattern/],
    ['invalid pattern', '<param name="p" uh:pattern="[a-"/>', /is not a valid regular expression/],
    ['min above max', '<param name="p" type="xs:int" uh:min="5" uh:max="1"/>', /min 5 is greater than max 1/],
    ['legacy min not a number', '<param name="p" type="xs:int" min="low"/>', /min="low" is not a number/],
  ])('%s', (_label, param, message) => {
    const o = parseDemo(demoWadl(param));
    expect(o.descriptor).toBeUndefined();
    expect(errors(o)).toContainEqual(expect.objectContaining({ file: 'demo.wadl', line: 9, message: expect.stringMatching(message) }));
  });

  it('refuses duplicate names, case-insensitively, naming both lines', () => {
    const o = parseDemo(demoWadl('<param name="emin"/>\n<param name="EMIN"/>'));
    expect(o.descriptor).toBeUndefined();
    expect(errors(o)).toEqual([expect.objectContaining({ line: 10, message: expect.stringMatching(/duplicate parameter 'EMIN'.*line 9/) })]);
  });

  it('refuses a nameless param and ignores href references with a warning', () => {
    expect(errorText(parseDemo(demoWadl('<param type="xs:int"/>')))).toMatch(/param without a name/);
    const ref = parseDemo(demoWadl('<param href="#shared"/>'));
    expect(errorText(ref)).toBe('');
    expect(warnings(ref)[0].message).toMatch(/href.*not supported/);
  });
});
