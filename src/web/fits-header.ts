import * as fs from 'node:fs';

/**
 * The headers of a FITS file (FITS 4.0): each HDU is a header of 2880-byte blocks of 80-character ASCII cards
 * ending with END, then its data, padded to whole blocks. Only the header blocks are read; the data of each
 * HDU is skipped by its size (|BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn)), never read.
 */

export const BLOCK = 2880;
const CARD = 80;

export type FitsValue = string | number | boolean | null;

export interface FitsHdu {
  index: number;
  /** PRIMARY, or the extension's XTENSION (IMAGE, BINTABLE, TABLE…). */
  kind: string;
  extname: string | null;
  bitpix: number;
  /** NAXIS1…NAXISn (empty when NAXIS = 0). */
  naxis: number[];
  /** Bytes of data (without the padding) that follow the header. */
  dataBytes: number;
  /** Byte offset of the header in the file. */
  offset: number;
  cards: number;
  /** A few descriptive keys, in header order. */
  keys: { key: string; value: FitsValue }[];
  /** A table's column names (TTYPEn). */
  columns: string[];
}

export interface FitsSummary {
  size: number;
  hdus: FitsHdu[];
  /** True when the file ended inside an HDU, or there were more HDUs than are listed. */
  truncated: boolean;
}

export class NotFitsError extends Error {}

const SHOWN_KEYS = new Set([
  'OBJECT', 'TELESCOP', 'INSTRUME', 'ORIGIN', 'DATE-OBS', 'DATE-END', 'OBS_ID', 'ONTIME', 'EXPOSURE', 'BUNIT',
  'RADESYS', 'EQUINOX', 'CTYPE1', 'CTYPE2', 'CTYPE3', 'CRVAL1', 'CRVAL2', 'CRVAL3', 'CDELT1', 'CDELT2', 'CUNIT3',
  'RA_PNT', 'DEC_PNT', 'TFIELDS', 'HDUCLASS', 'HDUCLAS1',
]);

export interface ParsedCard {
  key: string;
  value?: FitsValue;
  comment?: string;
}

/** One 80-character card: keyword, and for "KEY     = value / comment" cards the value and comment. */
export function parseCard(card: string): ParsedCard {
  const key = card.slice(0, 8).trimEnd();
  if (card.slice(8, 10) !== '= ') return { key };
  const field = card.slice(10);
  const lead = field.length - field.trimStart().length;
  let rest: string;
  let value: FitsValue;
  if (field.trimStart().startsWith("'")) {
    // A string: '' inside it is one quote; trailing spaces are not significant.
    let i = lead + 1;
    let text = '';
    for (; i < field.length; i++) {
      if (field[i] !== "'") text += field[i];
      else if (field[i + 1] === "'") text += field[i++];
      else break;
    }
    value = text.trimEnd();
    rest = field.slice(i + 1);
  } else {
    const slash = field.indexOf('/');
    const raw = (slash < 0 ? field : field.slice(0, slash)).trim();
    rest = slash < 0 ? '' : field.slice(slash);
    if (raw === 'T' || raw === 'F') value = raw === 'T';
    else if (raw === '') value = null;
    else {
      const n = Number(raw.replace(/[dD]/, 'E'));
      value = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/.test(raw) && Number.isFinite(n) ? n : raw;
    }
  }
  const slash = rest.indexOf('/');
  const comment = slash < 0 ? undefined : rest.slice(slash + 1).trim() || undefined;
  return comment === undefined ? { key, value } : { key, value, comment };
}

function intOf(cards: Map<string, FitsValue>, key: string, fallback?: number): number {
  const v = cards.get(key);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new NotFitsError(`${key} is ${v === undefined ? 'missing' : 'not an integer'}`);
}

interface Reader {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
}

async function readHeader(r: Reader, offset: number, maxBlocks: number): Promise<{ cards: string[]; end: number } | 'short'> {
  const cards: string[] = [];
  for (let b = 0; b < maxBlocks; b++) {
    const block = await r.read(offset + b * BLOCK, BLOCK);
    if (block.length < BLOCK) return 'short';
    for (let c = 0; c < BLOCK; c += CARD) {
      const bytes = block.subarray(c, c + CARD);
      if (bytes.some((x) => x < 0x20 || x > 0x7e)) throw new NotFitsError('a header card holds bytes that are not printable ASCII');
      const card = bytes.toString('latin1');
      if (card.startsWith('END') && card.slice(3).trim() === '') return { cards, end: offset + (b + 1) * BLOCK };
      cards.push(card);
    }
  }
  throw new NotFitsError(`no END card within ${maxBlocks} header blocks`);
}

/** Summarises one HDU's header cards; throws NotFitsError when its mandatory keys are wrong. */
export function describeHdu(index: number, offset: number, cards: string[]): FitsHdu {
  const values = new Map<string, FitsValue>();
  const keys: { key: string; value: FitsValue }[] = [];
  const columns: string[] = [];
  for (const card of cards) {
    const c = parseCard(card);
    if (c.value === undefined || values.has(c.key)) continue;
    values.set(c.key, c.value);
    if (SHOWN_KEYS.has(c.key)) keys.push({ key: c.key, value: c.value });
    if (/^TTYPE\d+$/.test(c.key) && typeof c.value === 'string') columns.push(c.value);
  }
  const first = parseCard(cards[0] ?? '');
  if (index === 0 && !(first.key === 'SIMPLE' && first.value === true)) throw new NotFitsError('the file does not start with SIMPLE = T');
  if (index > 0 && !(first.key === 'XTENSION' && typeof first.value === 'string')) throw new NotFitsError(`HDU ${index} does not start with XTENSION`);
  const bitpix = intOf(values, 'BITPIX');
  if (![8, 16, 32, 64, -32, -64].includes(bitpix)) throw new NotFitsError(`BITPIX ${bitpix} is not a FITS value`);
  const n = intOf(values, 'NAXIS');
  if (n < 0 || n > 999) throw new NotFitsError(`NAXIS ${n} is out of range`);
  const naxis = Array.from({ length: n }, (_, i) => intOf(values, `NAXIS${i + 1}`));
  if (naxis.some((a) => a < 0)) throw new NotFitsError('a NAXISn is negative');
  // Random groups (primary HDU, NAXIS1 = 0, GROUPS = T): the first axis does not count.
  const axes = index === 0 && values.get('GROUPS') === true && naxis[0] === 0 ? naxis.slice(1) : naxis;
  const elements = n === 0 ? 0 : axes.reduce((a, b) => a * b, 1);
  const pcount = intOf(values, 'PCOUNT', 0);
  const gcount = intOf(values, 'GCOUNT', 1);
  const dataBytes = n === 0 && pcount === 0 ? 0 : (Math.abs(bitpix) / 8) * gcount * (pcount + elements);
  const extname = values.get('EXTNAME');
  return {
    index,
    kind: index === 0 ? 'PRIMARY' : String(first.value).trim(),
    extname: typeof extname === 'string' ? extname : null,
    bitpix,
    naxis,
    dataBytes,
    offset,
    cards: cards.length,
    keys,
    columns,
  };
}

/** Every HDU header of a FITS file (up to `maxHdus`); throws NotFitsError for anything that is not FITS. */
export async function readFitsHeaders(file: string, opts: { maxHdus?: number; maxHeaderBlocks?: number } = {}): Promise<FitsSummary> {
  const maxHdus = opts.maxHdus ?? 64;
  const maxBlocks = opts.maxHeaderBlocks ?? 200;
  const fh = await fs.promises.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const reader: Reader = {
      size,
      async read(position, length) {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, position);
        return buf.subarray(0, bytesRead);
      },
    };
    return await summarise(reader, maxHdus, maxBlocks);
  } finally {
    await fh.close();
  }
}

async function summarise(r: Reader, maxHdus: number, maxBlocks: number): Promise<FitsSummary> {
  const head = await r.read(0, 30);
  if (!/^SIMPLE  = {20}T/.test(head.toString('latin1'))) throw new NotFitsError('the file does not start with SIMPLE = T');
  const hdus: FitsHdu[] = [];
  let offset = 0;
  while (offset < r.size) {
    if (hdus.length === maxHdus) return { size: r.size, hdus, truncated: true };
    // Bytes after the last HDU that are no extension (some writers pad with zeros) end the list.
    if (hdus.length > 0 && (await r.read(offset, 9)).toString('latin1') !== 'XTENSION=') return { size: r.size, hdus, truncated: false };
    const header = await readHeader(r, offset, maxBlocks);
    if (header === 'short') {
      if (hdus.length === 0) throw new NotFitsError('the file ends inside its first header');
      return { size: r.size, hdus, truncated: true };
    }
    const hdu = describeHdu(hdus.length, offset, header.cards);
    hdus.push(hdu);
    offset = header.end + Math.ceil(hdu.dataBytes / BLOCK) * BLOCK;
    if (offset > r.size) return { size: r.size, hdus, truncated: true };
  }
  return { size: r.size, hdus, truncated: false };
}
