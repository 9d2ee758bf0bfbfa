import { Phase, PHASES } from './job.model';
import { isActive, isFinal, JOB_EVENTS, JobEvent, legalEvents, nextPhase } from './phase.machine';

// The whole table, written out independently of the implementation: row = current phase, column = event,
// cell = next phase ('-' = illegal). Abbreviations keep it one row per phase.
const ABBREV: Record<string, Phase> = {
  PEN: 'PENDING',
  QUE: 'QUEUED',
  EXE: 'EXECUTING',
  COM: 'COMPLETED',
  ERR: 'ERROR',
  ABO: 'ABORTED',
  UNK: 'UNKNOWN',
  HEL: 'HELD',
  SUS: 'SUSPENDED',
  ARC: 'ARCHIVED',
};
const COLUMNS: JobEvent[] = ['RUN', 'ABORT', 'QUEUE', 'START', 'COMPLETE', 'FAIL', 'HOLD', 'SUSPEND', 'RESUME', 'ARCHIVE', 'UNKNOWN'];
const TABLE = `
         RUN  ABORT QUEUE START COMPLETE FAIL HOLD SUSPEND RESUME ARCHIVE UNKNOWN
PENDING   QUE  ABO   QUE   EXE   -        ERR  HEL  -       -      -       UNK
QUEUED    -    ABO   -     EXE   COM      ERR  HEL  -       -      -       UNK
EXECUTING -    ABO   -     -     COM      ERR  HEL  SUS     -      -       UNK
COMPLETED -    -     -     -     -        -    -    -       -      ARC     -
ERROR     -    -     -     -     -        -    -    -       -      ARC     -
ABORTED   -    -     -     -     -        -    -    -       -      ARC     -
UNKNOWN   -    ABO   -     EXE   COM      ERR  -    -       -      -       UNK
HELD      QUE  ABO   -     EXE   -        ERR  -    -       -      -       UNK
SUSPENDED -    ABO   -     EXE   COM      ERR  -    -       EXE    -       UNK
ARCHIVED  -    -     -     -     -        -    -    -       -      -       -
`;

function expectedTable(): Array<[Phase, JobEvent, Phase | undefined]> {
  const [header, ...rows] = TABLE.trim().split('\n');
  expect(header.trim().split(/\s+/)).toEqual(COLUMNS);
  const cells: Array<[Phase, JobEvent, Phase | undefined]> = [];
  for (const row of rows) {
    const [from, ...targets] = row.trim().split(/\s+/);
    expect(targets).toHaveLength(COLUMNS.length);
    targets.forEach((t, i) => cells.push([from as Phase, COLUMNS[i], t === '-' ? undefined : ABBREV[t]]));
  }
  return cells;
}

describe('phase machine', () => {
  const cells = expectedTable();

  it('covers every phase and every event', () => {
    expect(new Set(cells.map(([from]) => from))).toEqual(new Set(PHASES));
    expect(new Set(COLUMNS)).toEqual(new Set(JOB_EVENTS));
    expect(cells).toHaveLength(PHASES.length * JOB_EVENTS.length);
  });

  it.each(cells)('%s --%s--> %s', (from, event, to) => {
    expect(nextPhase(from, event)).toBe(to);
  });

  it('lets final phases only be archived, and ARCHIVED nothing at all', () => {
    for (const phase of PHASES.filter(isFinal)) {
      expect(legalEvents(phase)).toEqual(phase === 'ARCHIVED' ? [] : ['ARCHIVE']);
    }
  });

  it('lets every non-final phase fail or be aborted, and COMPLETED neither', () => {
    for (const phase of PHASES.filter((p) => !isFinal(p))) {
      expect(nextPhase(phase, 'FAIL')).toBe('ERROR');
      expect(nextPhase(phase, 'ABORT')).toBe('ABORTED');
    }
    expect(nextPhase('COMPLETED', 'ABORT')).toBeUndefined();
    expect(nextPhase('COMPLETED', 'FAIL')).toBeUndefined();
  });

  it('never leads from a final phase back to a non-final one', () => {
    for (const [from, , to] of cells) {
      if (isFinal(from) && to !== undefined) expect(isFinal(to)).toBe(true);
    }
  });

  it('classifies final and active phases', () => {
    expect(PHASES.filter(isFinal)).toEqual(['COMPLETED', 'ERROR', 'ABORTED', 'ARCHIVED']);
    expect(PHASES.filter(isActive)).toEqual(['PENDING', 'QUEUED', 'EXECUTING']);
  });
});
