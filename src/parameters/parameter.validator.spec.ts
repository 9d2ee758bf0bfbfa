import type { JobDescriptor, ParamDescriptor } from '../descriptor/descriptor.types';
import { readFixture } from '../descriptor/fixtures/wadl.fixture';
import * as convert from '../descriptor/value.convert';
import { parseWadl } from '../descriptor/wadl.parser';
import { validateParameters } from './parameter.validator';
import type { FieldError, JobValue, ValidationOutcome } from './parameters.types';

const param = (p: Partial<ParamDescriptor> & Pick<ParamDescriptor, 'name' | 'type'>): ParamDescriptor => ({
  required: false,
  repeating: false,
  ...p,
});

function makeDescriptor(parameters: ParamDescriptor[]): JobDescriptor {
  return {
    type: 'demo',
    description: 'demo',
    parameters,
    results: [{ id: 'out', mediaType: 'text/plain', file: 'out.txt' }],
    executionDuration: {},
    resources: {},
  };
}

const desc = makeDescriptor([
  param({ name: 'inobs', type: 'file', required: true }),
  param({ name: 'emin', type: 'double', default: '0.1', min: 0.01, max: 1000 }),
  param({ name: 'enumbins', type: 'int', default: '20', min: 1, max: 1000 }),
  param({ name: 'coordsys', type: 'string', default: 'CEL', choices: [{ value: 'CEL' }, { value: 'GAL' }] }),
  param({ name: 'usePnt', type: 'boolean', default: 'false' }),
  param({ name: 'outname', type: 'string', pattern: '[a-z]+' }),
  param({ name: 'tags', type: 'string', repeating: true }),
  param({ name: 'when', type: 'dateTime' }),
  param({ name: 'url', type: 'anyURI' }),
  param({ name: 'big', type: 'long' }),
  param({ name: 'count', type: 'integer' }),
  param({ name: 'ratio', type: 'float' }),
  param({ name: 'mode', type: 'string', fixed: 'fast' }),
  param({ name: 'label', type: 'string', min: 5, max: 6 }),
]);

function valuesOf(o: ValidationOutcome): JobValue[] {
  if (!o.ok) throw new Error(`expected success, got: ${o.errors.map((e) => e.message).join('; ')}`);
  return o.values;
}
function errorsOf(o: ValidationOutcome): FieldError[] {
  if (o.ok) throw new Error('expected errors');
  return o.errors;
}
const messages = (o: ValidationOutcome): string[] => errorsOf(o).map((e) => e.message);
const byName = (values: JobValue[]) => Object.fromEntries(values.map((v) => [v.name, v]));
/** A request with the required input, plus `extra`. */
const request = (extra: Record<string, string[]> = {}) => ({ inobs: ['upload-1.fits'], ...extra });

describe('validateParameters: a valid creation request', () => {
  it('types every value, keeps descriptor order and spelling, and fills defaults and fixed values', () => {
    const o = validateParameters(desc, {
      URL: ['https://example.org/a.fits'], EMIN: ['1e-1'], inobs: ['upload-1.fits'], usepnt: ['TRUE'],
      tags: ['a', 'b'], when: ['2024-05-01T12:00:00'], big: ['9007199254740991'], count: ['-3'], ratio: ['.5'],
    });
    expect(valuesOf(o)).toEqual([
      { name: 'inobs', type: 'file', values: ['upload-1.fits'], text: ['upload-1.fits'], defaulted: false },
      { name: 'emin', type: 'double', values: [0.1], text: ['0.1'], defaulted: false },
      { name: 'enumbins', type: 'int', values: [20], text: ['20'], defaulted: true },
      { name: 'coordsys', type: 'string', values: ['CEL'], text: ['CEL'], defaulted: true },
      { name: 'usePnt', type: 'boolean', values: [true], text: ['true'], defaulted: false },
      { name: 'tags', type: 'string', values: ['a', 'b'], text: ['a', 'b'], defaulted: false },
      { name: 'when', type: 'dateTime', values: ['2024-05-01T12:00:00.000Z'], text: ['2024-05-01T12:00:00.000Z'], defaulted: false },
      { name: 'url', type: 'anyURI', values: ['https://example.org/a.fits'], text: ['https://example.org/a.fits'], defaulted: false },
      { name: 'big', type: 'long', values: [9007199254740991], text: ['9007199254740991'], defaulted: false },
      { name: 'count', type: 'integer', values: [-3], text: ['-3'], defaulted: false },
      { name: 'ratio', type: 'float', values: [0.5], text: ['0.5'], defaulted: false },
      { name: 'mode', type: 'string', values: ['fast'], text: ['fast'], defaulted: true },
    ]);
  });

  it('leaves out optional parameters without a default', () => {
    const names = valuesOf(validateParameters(desc, request())).map((v) => v.name);
    expect(names).toEqual(['inobs', 'emin', 'enumbins', 'coordsys', 'usePnt', 'mode']);
  });

  it('ignores UWS control parameters in any case', () => {
    const o = validateParameters(desc, request({ PHASE: ['RUN'], runid: ['x'], ExecutionDuration: ['60'], DESTRUCTION: ['2030-01-01'], action: ['DELETE'] }));
    expect(o.ok).toBe(true);
  });

  it('treats a name sent with no values as not sent', () => {
    expect(byName(valuesOf(validateParameters(desc, request({ emin: [] })))).emin.defaulted).toBe(true);
  });

  it('merges spellings of one name in one request', () => {
    expect(byName(valuesOf(validateParameters(desc, request({ tags: ['a'], TAGS: ['b'] })))).tags.values).toEqual(['a', 'b']);
    expect(errorsOf(validateParameters(desc, request({ emin: ['1'], EMIN: ['2'] })))[0].rule).toBe('repeating');
  });

  it('accepts a fixed parameter sent with its fixed value', () => {
    expect(byName(valuesOf(validateParameters(desc, request({ mode: ['fast'] })))).mode.defaulted).toBe(false);
  });

  it('does not apply min/max to strings', () => {
    expect(byName(valuesOf(validateParameters(desc, request({ label: ['a'] })))).label.values).toEqual(['a']);
  });

  it('accepts the limits themselves', () => {
    expect(validateParameters(desc, request({ emin: ['0.01'], enumbins: ['1000'] })).ok).toBe(true);
  });
});

describe('validateParameters: refusals', () => {
  it.each([
    ['emin', 'abc', 'type', "emin: 'abc' is not a valid double"],
    ['emin', 'NaN', 'type', "emin: 'NaN' is not a valid double"],
    ['emin', 'Infinity', 'type', "emin: 'Infinity' is not a valid double"],
    ['emin', '', 'type', "emin: '' is not a valid double"],
    ['enumbins', '2.5', 'type', "enumbins: '2.5' is not a valid int"],
    ['enumbins', '3000000000', 'type', "enumbins: '3000000000' is not a valid int (out of the 32-bit range)"],
    ['big', '9007199254740993', 'type', expect.stringMatching(/^big: '9007199254740993' is not a valid long/)],
    ['count', '1e3', 'type', "count: '1e3' is not a valid integer"],
    ['usepnt', 'yes', 'type', "usePnt: 'yes' is not a valid boolean (expected true, false, 1 or 0)"],
    ['when', '2024-02-30', 'type', expect.stringMatching(/^when: '2024-02-30' is not a valid dateTime/)],
    ['url', 'file:///etc/passwd', 'type', expect.stringMatching(/^url: 'file:\/\/\/etc\/passwd' is not a valid anyURI/)],
    ['url', 'not a url', 'type', expect.stringMatching(/^url: 'not a url' is not a valid anyURI/)],
    ['tags', 'a\u0000b', 'type', "tags: 'a\uFFFDb' is not a valid string (contains a NUL byte)"],
    ['enumbins', '0', 'min', 'enumbins: 0 is below the minimum 1'],
    ['emin', '1e4', 'max', 'emin: 1e4 is above the maximum 1000'],
    ['coordsys', 'XYZ', 'choice', "coordsys: 'XYZ' is not one of CEL, GAL"],
    ['coordsys', 'cel', 'choice', "coordsys: 'cel' is not one of CEL, GAL"],
    ['outname', 'abc1', 'pattern', "outname: 'abc1' does not match the pattern [a-z]+"],
    ['outname', 'x abc', 'pattern', "outname: 'x abc' does not match the pattern [a-z]+"],
    ['mode', 'slow', 'fixed', "mode: 'slow' differs from the fixed value 'fast'"],
  ])('%s=%j → %s', (name, value, rule, message) => {
    const errors = errorsOf(validateParameters(desc, request({ [name]: [value] })));
    expect(errors).toEqual([{ field: expect.any(String), rule, value, message }]);
  });

  it('names the field in the descriptor spelling', () => {
    expect(errorsOf(validateParameters(desc, request({ USEPNT: ['maybe'] })))[0].field).toBe('usePnt');
  });

  it('refuses unknown names, as sent', () => {
    expect(errorsOf(validateParameters(desc, request({ Foo: ['1'] })))).toEqual([
      { field: 'Foo', rule: 'unknown', value: '1', message: "Foo: unknown parameter of demo (value '1')" },
    ]);
    expect(errorsOf(validateParameters(desc, request({ WAIT: ['10'] })))[0].rule).toBe('unknown');
  });

  it('refuses several values for a parameter that is not repeating', () => {
    expect(errorsOf(validateParameters(desc, request({ coordsys: ['CEL', 'GAL'] })))).toEqual([{
      field: 'coordsys', rule: 'repeating', value: 'CEL, GAL',
      message: "coordsys: 2 values given ('CEL', 'GAL') but only one is allowed",
    }]);
  });

  it('checks every value of a repeating parameter', () => {
    const d = makeDescriptor([param({ name: 'n', type: 'int', repeating: true, max: 5 })]);
    expect(messages(validateParameters(d, { n: ['1', 'x', '9'] }))).toEqual(["n: 'x' is not a valid int", 'n: 9 is above the maximum 5']);
  });

  it('requires required parameters that have no default', () => {
    expect(errorsOf(validateParameters(desc, {}))).toEqual([{ field: 'inobs', rule: 'required', message: 'inobs is required' }]);
    const withDefault = makeDescriptor([param({ name: 'x', type: 'int', required: true, default: '3' })]);
    expect(valuesOf(validateParameters(withDefault, {}))[0]).toMatchObject({ values: [3], defaulted: true });
  });

  it('collects all errors, in descriptor order', () => {
    const o = validateParameters(desc, { zzz: ['1'], coordsys: ['XYZ'], emin: ['abc'], enumbins: ['0'] });
    expect(errorsOf(o).map((e) => `${e.field}:${e.rule}`)).toEqual([
      'inobs:required', 'emin:type', 'enumbins:min', 'coordsys:choice', 'zzz:unknown',
    ]);
  });

  it('reports choice and limit failures of one value together', () => {
    const d = makeDescriptor([param({ name: 'n', type: 'int', min: 5, choices: [{ value: '5' }, { value: '6' }] })]);
    expect(errorsOf(validateParameters(d, { n: ['1'] })).map((e) => e.rule)).toEqual(['choice', 'min']);
  });

  it('bounds the length of values quoted in messages', () => {
    const long = 'x'.repeat(500);
    const [e] = errorsOf(validateParameters(desc, request({ emin: [long] })));
    expect(e.value).toBe(long);
    expect(e.message.length).toBeLessThan(120);
  });

  it('refuses a declared default that fails its own checks (hand-built descriptors)', () => {
    const d = makeDescriptor([param({ name: 'n', type: 'int', default: 'x' })]);
    expect(messages(validateParameters(d, {}))).toEqual(["n: 'x' is not a valid int (declared default)"]);
  });
});

describe('validateParameters: partial updates of a PENDING job', () => {
  const previous = valuesOf(validateParameters(desc, request({ tags: ['a'] })));

  it('validates only the given names and merges them over the previous values, in descriptor order', () => {
    const o = validateParameters(desc, { COORDSYS: ['GAL'], outname: ['cube'] }, { partial: true, previous });
    const values = valuesOf(o);
    expect(values.map((v) => v.name)).toEqual(['inobs', 'emin', 'enumbins', 'coordsys', 'usePnt', 'outname', 'tags', 'mode']);
    expect(byName(values).coordsys).toEqual({ name: 'coordsys', type: 'string', values: ['GAL'], text: ['GAL'], defaulted: false });
    expect(byName(values).emin).toEqual(byName(previous).emin);
  });

  it('neither requires nor defaults missing parameters', () => {
    expect(valuesOf(validateParameters(desc, { emin: ['2'] }, { partial: true }))).toEqual([
      { name: 'emin', type: 'double', values: [2], text: ['2'], defaulted: false },
    ]);
  });

  it('still refuses bad and unknown values, and leaves the job untouched', () => {
    const o = validateParameters(desc, { emin: ['-1'], bogus: ['1'] }, { partial: true, previous });
    expect(errorsOf(o).map((e) => e.rule)).toEqual(['min', 'unknown']);
  });
});

describe('validateParameters: patterns', () => {
  it('compiles a descriptor pattern once, however many requests use it', () => {
    const d = makeDescriptor([param({ name: 'p', type: 'string', pattern: '[0-9]{3}' })]);
    const spy = jest.spyOn(convert, 'compilePattern');
    try {
      for (const v of ['123', '456', '12']) validateParameters(d, { p: [v] });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(validateParameters(d, { p: ['1234'] }).ok).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it('fails closed on an invalid pattern in a hand-built descriptor', () => {
    const d = makeDescriptor([param({ name: 'p', type: 'string', pattern: '[' })]);
    expect(errorsOf(validateParameters(d, { p: ['x'] }))[0].rule).toBe('pattern');
  });
});

describe('validateParameters: with the ctbin plugin descriptor', () => {
  const ctbin = parseWadl(readFixture('ctbin.wadl'), { file: 'ctbin.wadl', type: 'ctbin' }).descriptor!;

  it('accepts a typical request and fills the rest from the WADL defaults', () => {
    const values = valuesOf(validateParameters(ctbin, { inobs: ['events.fits'], emin: ['0.5'], coordsys: ['GAL'] }));
    expect(values.map((v) => `${v.name}=${v.text.join(',')}${v.defaulted ? '*' : ''}`)).toEqual([
      'inobs=events.fits', 'ebinalg=LOG*', 'emin=0.5', 'emax=100*', 'enumbins=20*', 'nxpix=200*', 'binsz=0.02*',
      'coordsys=GAL', 'usepnt=false*', 'outname=cntcube*',
    ]);
  });

  it('refuses the examples from the error catalogue', () => {
    expect(messages(validateParameters(ctbin, { emin: ['abc'], enumbins: ['0'], coordsys: ['XYZ'] }))).toEqual([
      'inobs is required',
      "emin: 'abc' is not a valid double",
      'enumbins: 0 is below the minimum 1',
      "coordsys: 'XYZ' is not one of CEL, GAL",
    ]);
  });
});
