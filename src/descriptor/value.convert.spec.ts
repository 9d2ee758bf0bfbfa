import type { ParamType } from './descriptor.types';
import { compilePattern, convertValue } from './value.convert';

const value = (type: ParamType, raw: string) => {
  const c = convertValue(type, raw);
  return c.ok ? c.value : undefined;
};
const text = (type: ParamType, raw: string) => {
  const c = convertValue(type, raw);
  return c.ok ? c.text : undefined;
};
const refused = (type: ParamType, raw: string) => !convertValue(type, raw).ok;

describe('convertValue', () => {
  it('int: 32-bit integers only', () => {
    expect(value('int', '42')).toBe(42);
    expect(value('int', ' -7 ')).toBe(-7);
    expect(value('int', '+3')).toBe(3);
    expect(value('int', '2147483647')).toBe(2147483647);
    expect(value('int', '-2147483648')).toBe(-2147483648);
    for (const bad of ['2147483648', '-2147483649', '1.0', '1e3', '', 'x', '0x10', '1 2']) expect(refused('int', bad)).toBe(true);
    expect(convertValue('int', '2147483648')).toEqual({ ok: false, reason: 'out of the 32-bit range' });
    expect(convertValue('int', 'x')).toEqual({ ok: false });
  });

  it('long and integer: safe JS integers', () => {
    expect(value('long', '9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(refused('long', '9007199254740992')).toBe(true);
    expect(value('integer', '-9007199254740991')).toBe(Number.MIN_SAFE_INTEGER);
    expect(refused('integer', '123456789012345678901234567890')).toBe(true);
    expect(text('long', '007')).toBe('7');
  });

  it('double and float: finite decimals with optional exponent', () => {
    expect(value('double', '0.1')).toBe(0.1);
    expect(value('double', '-1.5e-3')).toBe(-0.0015);
    expect(value('float', '.5')).toBe(0.5);
    expect(value('float', '5.')).toBe(5);
    expect(value('double', '1E3')).toBe(1000);
    expect(text('double', '100.0')).toBe('100');
    expect(text('double', '-0')).toBe('0');
    for (const bad of ['', ' ', 'NaN', 'Infinity', '-Infinity', 'INF', '1e400', '1,5', '0x1', 'e3', '1e', '.']) {
      expect(refused('double', bad)).toBe(true);
    }
  });

  it('boolean: true/false in any case, 1/0', () => {
    expect(value('boolean', 'true')).toBe(true);
    expect(value('boolean', 'TRUE')).toBe(true);
    expect(value('boolean', '1')).toBe(true);
    expect(value('boolean', 'False')).toBe(false);
    expect(value('boolean', '0')).toBe(false);
    expect(text('boolean', 'True')).toBe('true');
    for (const bad of ['yes', 'no', '', '2', 't']) expect(refused('boolean', bad)).toBe(true);
  });

  it('dateTime: ISO 8601, UTC when no zone, canonical toISOString', () => {
    expect(value('dateTime', '2024-05-01T12:30:00Z')).toBe('2024-05-01T12:30:00.000Z');
    expect(value('dateTime', '2024-05-01T12:30:00')).toBe('2024-05-01T12:30:00.000Z');
    expect(value('dateTime', '2024-05-01T12:30')).toBe('2024-05-01T12:30:00.000Z');
    expect(value('dateTime', '2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
    expect(value('dateTime', '2024-05-01 12:30:00.25')).toBe('2024-05-01T12:30:00.250Z');
    expect(value('dateTime', '2024-05-01T12:30:00+02:00')).toBe('2024-05-01T10:30:00.000Z');
    expect(value('dateTime', '2024-05-01T00:30:00-0130')).toBe('2024-05-01T02:00:00.000Z');
    expect(text('dateTime', '2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
    for (const bad of ['2023-02-29', '2024-13-01', '2024-04-31', '2024-05-01T24:00:00', '2024-05-01T12:60',
      '01/05/2024', 'yesterday', '', '2024-05-01T12:00:00+15:00', '2024-5-1']) {
      expect(refused('dateTime', bad)).toBe(true);
    }
  });

  it('anyURI: absolute http(s) URLs only, kept as given', () => {
    expect(value('anyURI', 'https://example.org/data.fits?x=1')).toBe('https://example.org/data.fits?x=1');
    expect(value('anyURI', 'http://data.example.org:8080/a')).toBe('http://data.example.org:8080/a');
    for (const internal of ['http://localhost:8080/a', 'http://127.0.0.1/', 'http://169.254.169.254/latest/meta-data',
      'http://10.1.2.3/x', 'http://172.20.0.1/', 'http://192.168.1.1/', 'http://[::1]:80/', 'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/']) {
      expect(refused('anyURI', internal)).toBe(true);
    }
    for (const bad of ['ftp://example.org/x', 'file:///etc/passwd', 'javascript:alert(1)', '/relative', 'example.org',
      'http://exa mple.org', 'http://example.org/\nx', '']) {
      expect(refused('anyURI', bad)).toBe(true);
    }
  });

  it('string and file: as given, never trimmed, no NUL bytes', () => {
    expect(value('string', '  spaced  ')).toBe('  spaced  ');
    expect(value('string', '')).toBe('');
    expect(value('string', "it's; rm -rf /")).toBe("it's; rm -rf /");
    expect(value('file', 'upload-1.fits')).toBe('upload-1.fits');
    expect(convertValue('string', 'a\u0000b')).toEqual({ ok: false, reason: 'contains a NUL byte' });
    expect(refused('int', '1\u0000')).toBe(true);
  });
});

describe('compilePattern', () => {
  it('anchors the whole value', () => {
    const re = compilePattern('[a-z]+|[0-9]+');
    expect(re.test('abc')).toBe(true);
    expect(re.test('123')).toBe(true);
    expect(re.test('abc123')).toBe(false);
    expect(re.test('x abc')).toBe(false);
  });

  it('throws on an invalid pattern', () => {
    expect(() => compilePattern('[a-')).toThrow(SyntaxError);
  });
});
