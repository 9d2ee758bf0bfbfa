/**
 * The CTA example chain end to end, as a scientist would run it: a simulated event list (the Crab over
 * background, scripts/make-events.py) goes through ctselect (cone + energy cut) on the real server, and the
 * selected events it returns are uploaded as the input of a ctbin job. The counts cube must hold exactly the
 * selected events that fall inside the map, with the brightest pixel on the Crab; the preview must be a PNG.
 * The FITS files are checked with Debian's /usr/bin/python3 and astropy, independently of the payloads' code
 * (astropy SkyCoord separations, the cube's own WCS and EBOUNDS). Needs python3-astropy, python3-numpy and
 * python3-matplotlib for /usr/bin/python3 (scripts/install-science.sh); without them the suite fails, on purpose.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killJobGroups, ROOT, RunningApp, startApp, tempDir } from './support/test-app';
import { UwsClient, xmlValue } from './support/uws-client';

const PYTHON = '/usr/bin/python3';
const CRAB = { ra: 83.633, dec: 22.014 };
const SEED = 20240;
const NSOURCE = 3000;
const NBACKGROUND = 20000;
const SELECT = { ra: '83.633', dec: '22.014', rad: '2.0', emin: '0.2', emax: '50' };
const BIN = {
  ebinalg: 'LOG', emin: '0.2', emax: '50', enumbins: '10', nxpix: '41', nypix: '41', binsz: '0.1',
  coordsys: 'CEL', proj: 'CAR', usepnt: 'true',
};
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Runs /usr/bin/python3 with the arguments; returns stdout, throwing with stderr when it fails. */
function python(args: string[], what: string): string {
  const r = spawnSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  if (r.error) throw new Error(`${what}: could not run ${PYTHON}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what}: ${PYTHON} exited with ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** Last line of a Python check's stdout, parsed as JSON. */
function pythonJson<T>(code: string, args: string[], what: string): T {
  const out = python(['-c', code, ...args], what).trim().split('\n');
  return JSON.parse(out[out.length - 1]) as T;
}

/** Counts the events of the original list that pass the ctselect cuts, with astropy's own separations. */
const EXPECTED_SELECTION = `
import json, sys
import numpy as np
from astropy.io import fits
from astropy.coordinates import SkyCoord
path, ra, dec, rad, emin, emax = sys.argv[1], *map(float, sys.argv[2:7])
ev = fits.open(path)['EVENTS'].data
c = SkyCoord(ev['RA'].astype(float), ev['DEC'].astype(float), unit='deg')
keep = (c.separation(SkyCoord(ra, dec, unit='deg')).deg <= rad) & (ev['ENERGY'] >= emin) & (ev['ENERGY'] <= emax)
print(json.dumps({'total': len(ev), 'selected': int(keep.sum()), 'ids': sorted(int(i) for i in ev['EVENT_ID'][keep])}))
`;

/** What the selected event list holds: its rows, event ids, ranges and selection keywords. */
const DESCRIBE_SELECTION = `
import json, sys
import numpy as np
from astropy.io import fits
from astropy.coordinates import SkyCoord
f = fits.open(sys.argv[1]); ev = f['EVENTS'].data; h = f['EVENTS'].header
ra, dec = float(sys.argv[2]), float(sys.argv[3])
sep = SkyCoord(ev['RA'].astype(float), ev['DEC'].astype(float), unit='deg').separation(SkyCoord(ra, dec, unit='deg')).deg
print(json.dumps({
  'rows': len(ev), 'ids': sorted(int(i) for i in ev['EVENT_ID']), 'columns': list(ev.columns.names),
  'maxsep': float(sep.max()), 'emin': float(ev['ENERGY'].min()), 'emax': float(ev['ENERGY'].max()),
  'extname': h['EXTNAME'], 'ra_pnt': h['RA_PNT'], 'dec_pnt': h['DEC_PNT'], 'obs_id': h['OBS_ID'],
  'selnout': h['SELNOUT'], 'selrad': h['SELRAD'], 'selemin': h['SELEMIN'], 'selemax': h['SELEMAX'],
  'dsval': [h['DSVAL%d' % i] for i in range(1, h['NDSKEYS'] + 1)],
}))
`;

/**
 * Re-bins the selected events with the cube's own WCS and EBOUNDS (astropy's world_to_pixel, nearest pixel
 * centre) and reports them next to what the cube holds, plus where the Crab falls and where the maximum is.
 */
const CHECK_CUBE = `
import json, sys, warnings
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning
from astropy.coordinates import SkyCoord
warnings.simplefilter('ignore', FITSFixedWarning)
cube_hdul = fits.open(sys.argv[1]); ev = fits.open(sys.argv[2])['EVENTS'].data
crab = SkyCoord(float(sys.argv[3]), float(sys.argv[4]), unit='deg')
cube = cube_hdul[0].data; w = WCS(cube_hdul[0].header).celestial; eb = cube_hdul['EBOUNDS'].data
x, y = w.world_to_pixel(SkyCoord(ev['RA'].astype(float), ev['DEC'].astype(float), unit='deg'))
ix, iy = np.floor(x + 0.5), np.floor(y + 0.5)
inside = (ix >= 0) & (ix < cube.shape[2]) & (iy >= 0) & (iy < cube.shape[1])
in_energy = (ev['ENERGY'] >= eb['E_MIN'][0]) & (ev['ENERGY'] <= eb['E_MAX'][-1])
image = cube.sum(axis=0)
by, bx = np.unravel_index(int(np.argmax(image)), image.shape)
cx, cy = w.world_to_pixel(crab)
print(json.dumps({
  'shape': list(cube.shape), 'total': int(cube.sum()), 'expected': int((inside & in_energy).sum()),
  'events': len(ev), 'outside': int((~inside).sum()), 'ncounts': int(cube_hdul[0].header['NCOUNTS']),
  'ctype': [cube_hdul[0].header['CTYPE%d' % i] for i in (1, 2, 3)],
  'brightest': [int(bx), int(by)], 'brightest_counts': int(image[by, bx]),
  'second_counts': int(np.sort(image.ravel())[-2]),
  'crab': [int(np.floor(cx + 0.5)), int(np.floor(cy + 0.5))],
}))
`;

describe('CTA chain: make-events → ctselect → ctbin through the API', () => {
  let app: RunningApp;
  let c: UwsClient;
  let dir: string;
  let events: string;
  let selectedFile: string;
  let expected: { total: number; selected: number; ids: number[] };

  beforeAll(async () => {
    const probe = spawnSync(PYTHON, ['-c', 'import astropy, numpy, matplotlib'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new Error(
        `${PYTHON} cannot import astropy, numpy and matplotlib, which the ctselect and ctbin plugins need; ` +
          `run scripts/install-science.sh (Debian's python3-astropy python3-numpy python3-matplotlib).\n` +
          (probe.error?.message ?? probe.stderr),
      );
    }
    dir = tempDir('uws-cta-');
    app = await startApp();
    c = new UwsClient(app.baseUrl);
  });

  afterAll(async () => {
    if (app) {
      killJobGroups(app.dataDir);
      await app.close();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Waits for the end of the job; anything but COMPLETED fails with the job's error and stderr. */
  async function completed(jobUrl: string): Promise<string> {
    const phase = await c.settle(jobUrl, 90);
    if (phase !== 'COMPLETED') {
      const job = (await c.get(jobUrl)).text;
      const stderr = (await c.get(`${jobUrl}/results/stderr`)).text;
      throw new Error(`${jobUrl} ended in ${phase}: ${xmlValue(job, 'message') ?? ''}\nstderr:\n${stderr}`);
    }
    return (await c.get(`${jobUrl}/results`)).text;
  }

  async function download(url: string): Promise<{ type: string; body: Buffer }> {
    const r = await fetch(url);
    expect(r.status).toBe(200);
    return { type: r.headers.get('content-type') ?? '', body: Buffer.from(await r.arrayBuffer()) };
  }

  function resultTag(results: string, id: string): string {
    const tag = new RegExp(`<uws:result\\b[^>]*id="${id}"[^>]*/?>`).exec(results)?.[0];
    if (!tag) throw new Error(`no result '${id}' in:\n${results}`);
    return tag;
  }

  test('make-events.py writes a deterministic CTA-like event list and reports its counts', () => {
    events = path.join(dir, 'events.fits');
    const args = ['scripts/make-events.py', '--seed', String(SEED), '--nsource', String(NSOURCE), '--nbackground', String(NBACKGROUND)];
    const report = JSON.parse(python([...args, '--out', events], 'make-events').trim()) as Record<string, number>;
    expect(report).toMatchObject({ source: NSOURCE, background: NBACKGROUND, total: NSOURCE + NBACKGROUND, seed: SEED });
    const again = path.join(dir, 'again.fits');
    python([...args, '--out', again], 'make-events (again)');
    expect(fs.readFileSync(again).equals(fs.readFileSync(events))).toBe(true);

    expected = pythonJson(EXPECTED_SELECTION, [events, SELECT.ra, SELECT.dec, SELECT.rad, SELECT.emin, SELECT.emax], 'expected selection');
    expect(expected.total).toBe(NSOURCE + NBACKGROUND);
    // a real cut: some events go, a good number stay
    expect(expected.selected).toBeGreaterThan(1000);
    expect(expected.selected).toBeLessThan(expected.total);
  });

  test('ctselect selects exactly the events inside the cone and the energy range', async () => {
    const fd = new FormData();
    fd.append('inobs', new Blob([fs.readFileSync(events)], { type: 'image/fits' }), 'events.fits');
    for (const [k, v] of Object.entries(SELECT)) fd.append(k, v);
    fd.append('PHASE', 'RUN');
    const job = await c.create('ctselect', fd);
    const results = await completed(job);
    expect(resultTag(results, 'outobs')).toMatch(/mime-type="image\/fits"/);
    expect(resultTag(results, 'log')).toMatch(/mime-type="text\/plain"/);

    const outobs = await download(`${job}/results/outobs`);
    expect(outobs.type).toMatch(/^image\/fits/);
    expect(outobs.body.subarray(0, 30).toString('latin1')).toMatch(/^SIMPLE {2}= +T/);
    selectedFile = path.join(dir, 'selected_events.fits');
    fs.writeFileSync(selectedFile, outobs.body);

    const sel = pythonJson<{
      rows: number; ids: number[]; columns: string[]; maxsep: number; emin: number; emax: number; extname: string;
      ra_pnt: number; dec_pnt: number; obs_id: number; selnout: number; selrad: number; selemin: number; selemax: number;
      dsval: string[];
    }>(DESCRIBE_SELECTION, [selectedFile, SELECT.ra, SELECT.dec], 'describe selection');
    expect(sel.rows).toBe(expected.selected);
    expect(sel.ids).toEqual(expected.ids);
    expect(sel.columns).toEqual(expect.arrayContaining(['EVENT_ID', 'TIME', 'RA', 'DEC', 'ENERGY']));
    expect(sel.maxsep).toBeLessThanOrEqual(Number(SELECT.rad) + 1e-6);
    expect(sel.emin).toBeGreaterThanOrEqual(Number(SELECT.emin) * (1 - 1e-6));
    expect(sel.emax).toBeLessThanOrEqual(Number(SELECT.emax) * (1 + 1e-6));
    expect(sel).toMatchObject({ extname: 'EVENTS', ra_pnt: 83.63, dec_pnt: 22.51, obs_id: 1, selnout: expected.selected });
    expect(sel).toMatchObject({ selrad: 2, selemin: 0.2, selemax: 50 });
    expect(sel.dsval).toEqual(expect.arrayContaining(['CIRCLE(83.633,22.014,2)', '0.2:50']));

    const log = (await download(`${job}/results/log`)).body.toString('utf8');
    expect(log).toMatch(new RegExp(`events read\\s*: ${expected.total}\\b`));
    expect(log).toMatch(new RegExp(`after cone cut\\s*: ${expected.selected}\\b`));
  });

  test('ctbin bins the selected events: cube total = selected events inside the map, Crab brightest', async () => {
    const fd = new FormData();
    fd.append('inobs', new Blob([fs.readFileSync(selectedFile)], { type: 'image/fits' }), 'selected_events.fits');
    for (const [k, v] of Object.entries(BIN)) fd.append(k, v);
    fd.append('PHASE', 'RUN');
    const job = await c.create('ctbin', fd);
    const results = await completed(job);
    expect(resultTag(results, 'outcube')).toMatch(/mime-type="image\/fits"/);
    expect(resultTag(results, 'preview')).toMatch(/mime-type="image\/png"/);
    expect(resultTag(results, 'logfile')).toMatch(/mime-type="text\/plain"/);

    const cubeFile = path.join(dir, 'cntcube.fits');
    const outcube = await download(`${job}/results/outcube`);
    expect(outcube.type).toMatch(/^image\/fits/);
    fs.writeFileSync(cubeFile, outcube.body);

    const check = pythonJson<{
      shape: number[]; total: number; expected: number; events: number; outside: number; ncounts: number; ctype: string[];
      brightest: number[]; brightest_counts: number; second_counts: number; crab: number[];
    }>(CHECK_CUBE, [cubeFile, selectedFile, String(CRAB.ra), String(CRAB.dec)], 'check cube');
    expect(check.shape).toEqual([Number(BIN.enumbins), Number(BIN.nypix), Number(BIN.nxpix)]);
    expect(check.ctype).toEqual(['RA---CAR', 'DEC--CAR', 'ENER-LOG']);
    expect(check.events).toBe(expected.selected);
    // the 4.1 deg map around the pointing cuts off part of the 2 deg cone around the Crab
    expect(check.outside).toBeGreaterThan(0);
    expect(check.total).toBe(check.expected);
    expect(check.ncounts).toBe(check.total);
    expect(check.brightest).toEqual(check.crab);
    expect(check.brightest_counts).toBeGreaterThan(check.second_counts);

    const log = (await download(`${job}/results/logfile`)).body.toString('utf8');
    expect(log).toMatch(new RegExp(`total counts\\s*: ${check.total}\\b`));

    const preview = await download(`${job}/results/preview`);
    expect(preview.type).toMatch(/^image\/png/);
    expect(preview.body.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });
});
