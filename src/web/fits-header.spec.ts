import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BLOCK, NotFitsError, parseCard, readFitsHeaders } from './fits-header';

/** "KEY     = value" padded to 80 characters (strings quoted as FITS does, at least 8 characters wide). */
function card(key: string, value?: string | number | boolean, comment?: string): string {
  if (value === undefined) return key.padEnd(80);
  const v =
    typeof value === 'string' ? `'${value.replace(/'/g, "''").padEnd(8)}'` : typeof value === 'boolean' ? (value ? 'T' : 'F').padStart(20) : String(value).padStart(20);
  return `${key.padEnd(8)}= ${v}${comment ? ` / ${comment}` : ''}`.padEnd(80);
}

function header(cards: string[]): Buffer {
  const text = [...cards, 'END'.padEnd(80)].join('');
  return Buffer.from(text.padEnd(Math.ceil(text.length / BLOCK) * BLOCK), 'latin1');
}

function data(bytes: number, fill = 0x41): Buffer {
  const b = Buffer.alloc(Math.ceil(bytes / BLOCK) * BLOCK);
  b.fill(fill, 0, bytes);
  return b;
}

describe('FITS headers', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fits-spec-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, ...parts: Buffer[]) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, Buffer.concat(parts));
    return f;
  };

  it('parses card values: strings with quotes, logicals, numbers (Fortran D exponents), comments', () => {
    expect(parseCard(card('OBJECT', "Crab's nebula", 'target'))).toEqual({ key: 'OBJECT', value: "Crab's nebula", comment: 'target' });
    expect(parseCard(card('SIMPLE', true))).toEqual({ key: 'SIMPLE', value: true });
    expect(parseCard(card('CTYPE3', 'ENERGY')).value).toBe('ENERGY');
    expect(parseCard(`${'CDELT1  = '}${'-1.5D-01'.padStart(20)}`.padEnd(80)).value).toBe(-0.15);
    expect(parseCard(card('NAXIS', 3, 'axes'))).toEqual({ key: 'NAXIS', value: 3, comment: 'axes' });
    expect(parseCard(card('COMMENT')).value).toBeUndefined();
    expect(parseCard('HISTORY = not a value card'.padEnd(80))).toMatchObject({ key: 'HISTORY' });
  });

  it('lists the primary HDU and each extension, skipping the data without reading it', async () => {
    const f = write(
      'cube.fits',
      header([card('SIMPLE', true), card('BITPIX', -32), card('NAXIS', 3), card('NAXIS1', 41), card('NAXIS2', 41), card('NAXIS3', 10),
        card('EXTEND', true), card('OBJECT', 'Crab'), card('CTYPE1', 'RA---CAR'), card('BUNIT', 'counts')]),
      data(41 * 41 * 10 * 4, 0x00),
      header([card('XTENSION', 'BINTABLE'), card('BITPIX', 8), card('NAXIS', 2), card('NAXIS1', 24), card('NAXIS2', 10),
        card('PCOUNT', 0), card('GCOUNT', 1), card('TFIELDS', 3), card('TTYPE1', 'CHANNEL'), card('TTYPE2', 'E_MIN'),
        card('TTYPE3', 'E_MAX'), card('EXTNAME', 'EBOUNDS')]),
      data(240),
      header([card('XTENSION', 'IMAGE'), card('BITPIX', 16), card('NAXIS', 0), card('PCOUNT', 0), card('GCOUNT', 1), card('EXTNAME', 'EMPTY')]),
    );
    const s = await readFitsHeaders(f);
    expect(s.truncated).toBe(false);
    expect(s.hdus.map((h) => [h.index, h.kind, h.extname, h.bitpix, h.naxis, h.dataBytes])).toEqual([
      [0, 'PRIMARY', null, -32, [41, 41, 10], 67240],
      [1, 'BINTABLE', 'EBOUNDS', 8, [24, 10], 240],
      [2, 'IMAGE', 'EMPTY', 16, [], 0],
    ]);
    expect(s.hdus[0].keys).toEqual([
      { key: 'OBJECT', value: 'Crab' },
      { key: 'CTYPE1', value: 'RA---CAR' },
      { key: 'BUNIT', value: 'counts' },
    ]);
    expect(s.hdus[1].columns).toEqual(['CHANNEL', 'E_MIN', 'E_MAX']);
    expect(s.hdus[1].offset).toBe(BLOCK + Math.ceil(67240 / BLOCK) * BLOCK);
  });

  it('stops at zero padding after the last HDU, and says when the file ends inside an HDU', async () => {
    const primary = header([card('SIMPLE', true), card('BITPIX', 8), card('NAXIS', 1), card('NAXIS1', 100)]);
    const padded = await readFitsHeaders(write('padded.fits', primary, data(100), Buffer.alloc(BLOCK)));
    expect(padded).toMatchObject({ truncated: false, hdus: [{ kind: 'PRIMARY', naxis: [100] }] });
    const cut = await readFitsHeaders(write('cut.fits', primary, data(100), header([card('XTENSION', 'IMAGE')]).subarray(0, 1000)));
    expect(cut).toMatchObject({ truncated: true, hdus: [{ kind: 'PRIMARY' }] });
  });

  it('refuses what is not FITS', async () => {
    const refused = async (f: string) => {
      await expect(readFitsHeaders(f)).rejects.toBeInstanceOf(NotFitsError);
    };
    await refused(write('text.txt', Buffer.from('lines 3\nwords 6\n')));
    await refused(write('empty', Buffer.alloc(0)));
    await refused(write('png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Buffer.alloc(3000)])));
    await refused(write('noend.fits', Buffer.from(card('SIMPLE', true).padEnd(BLOCK * 3), 'latin1')));
    await refused(write('binary.fits', Buffer.concat([Buffer.from(card('SIMPLE', true), 'latin1'), Buffer.alloc(BLOCK - 80)])));
    await refused(write('badbitpix.fits', header([card('SIMPLE', true), card('BITPIX', 12), card('NAXIS', 0)])));
    await expect(readFitsHeaders(path.join(dir, 'noend.fits'), { maxHeaderBlocks: 2 })).rejects.toThrow(/no END card within 2/);
  });

  it('lists at most maxHdus HDUs', async () => {
    const ext = header([card('XTENSION', 'IMAGE'), card('BITPIX', 8), card('NAXIS', 0), card('PCOUNT', 0), card('GCOUNT', 1)]);
    const f = write('many.fits', header([card('SIMPLE', true), card('BITPIX', 8), card('NAXIS', 0)]), ext, ext, ext);
    expect(await readFitsHeaders(f, { maxHdus: 2 })).toMatchObject({ truncated: true, hdus: [{ index: 0 }, { index: 1 }] });
    expect((await readFitsHeaders(f)).hdus).toHaveLength(4);
  });
});
