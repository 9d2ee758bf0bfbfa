import { demoWadl, readFixture } from './fixtures/wadl.fixture';
import { validateWadlSchema, WADL_SCHEMA_DIR } from './wadl.schema';

describe('validateWadlSchema', () => {
  it('finds the schema files in the project wadl/ folder', () => {
    expect(WADL_SCHEMA_DIR).toMatch(/[/\\]wadl$/);
  });

  it('accepts the ctbin plugin, extension attributes and elements included', () => {
    expect(validateWadlSchema(readFixture('ctbin.wadl'), 'ctbin.wadl')).toEqual([]);
  });

  it('is stable across calls (the schema is loaded once and reused)', () => {
    const xml = demoWadl('<param name="a" style="sideways"/>');
    expect(validateWadlSchema(xml, 'a')).toEqual(validateWadlSchema(xml, 'a'));
    expect(validateWadlSchema(readFixture('ctbin.wadl'), 'ctbin.wadl')).toEqual([]);
  });

  it('reports legacy unprefixed attributes as tolerated warnings', () => {
    const messages = validateWadlSchema(readFixture('vopdc-legacy.wadl'), 'v.wadl');
    expect(messages.every((m) => m.severity === 'warning')).toBe(true);
    expect(messages.map((m) => `${m.line} ${m.message}`)).toEqual([
      expect.stringMatching(/^12 legacy attribute choices on <param> tolerated/),
      expect.stringMatching(/^13 legacy attribute min on <param> tolerated/),
      expect.stringMatching(/^13 legacy attribute max on <param> tolerated/),
      expect.stringMatching(/^16 legacy attribute default on <option> tolerated/),
      expect.stringMatching(/^17 legacy attribute default on <option> tolerated/),
      expect.stringMatching(/^21 legacy attribute default on <representation> tolerated/),
      expect.stringMatching(/^29 legacy attribute max on <param> tolerated/),
    ]);
    expect(messages[0].file).toBe('v.wadl');
  });

  it.each([
    ['an unknown WADL element', '<bogus/>', /Element 'bogus': This element is not expected/],
    ['an unknown unprefixed attribute', '<param name="p" unit="m"/>', /attribute 'unit': The attribute 'unit' is not allowed/],
    ['a legacy-looking attribute on the wrong element', '<param name="p" default="1"><option value="1" min="0"/></param>', /Element 'option', attribute 'min'/],
    ['a bad style', '<param name="p" style="sideways"/>', /'sideways' is not an element of the set/],
    ['a mistyped extension attribute', '<param name="p" uh:min="1O"/>', /attribute 'uh:min': '1O' is not a valid value/],
    ['a negative maxSize', '<param name="p" type="file" uh:maxSize="-1"/>', /uh:maxSize/],
    ['a non-boolean required', '<param name="p" required="yes"/>', /attribute 'required'/],
  ])('reports %s as an error with its line', (_label, param, message) => {
    const messages = validateWadlSchema(demoWadl(param), 'd.wadl');
    expect(messages).toContainEqual({ severity: 'error', file: 'd.wadl', line: 9, message: expect.stringMatching(message) });
  });

  it('checks the uh:resources element against the extension schema', () => {
    const bad = validateWadlSchema(demoWadl('', { tail: '<uh:resources><uh:cpus default="two"/></uh:resources>' }), 'd');
    expect(bad).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/uh:cpus.*'two'/) })]);
    const good = validateWadlSchema(demoWadl('', {
      tail: '<uh:resources><uh:partition default="long"/><uh:memory default="1024" overridable="1"/></uh:resources>',
    }), 'd');
    expect(good).toEqual([]);
  });

  it('reports XML that is not well-formed', () => {
    expect(validateWadlSchema('<application>', 'x')).toEqual([
      expect.objectContaining({ severity: 'error', line: 1, message: expect.stringMatching(/not well-formed/) }),
    ]);
  });
});
