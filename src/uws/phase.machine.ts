/**
 * The UWS phase state machine (UWS 1.1 §2.1.3 and its state diagram), the only authority on which phase
 * changes are legal. It is a table rather than code so that it can be read against the diagram, and so that
 * the spec can walk every (phase, event) pair.
 *
 * Client events: RUN, ABORT. Every other event comes from the server side (execution reports, the
 * reconciler, destruction). Transitions are a little wider than the diagram where execution reports can
 * arrive late or be lost: a short job may report COMPLETE while we still think it is QUEUED, or START
 * straight from PENDING when the manager runs it at once.
 */
import { ACTIVE_PHASES, FINAL_PHASES, Phase } from './job.model';

export const JOB_EVENTS = [
  'RUN',
  'ABORT',
  'QUEUE',
  'START',
  'COMPLETE',
  'FAIL',
  'HOLD',
  'SUSPEND',
  'RESUME',
  'ARCHIVE',
  'UNKNOWN',
] as const;
export type JobEvent = (typeof JOB_EVENTS)[number];

/** Events a client may ask for through PHASE=...; the rest are server-only. */
export const CLIENT_EVENTS: readonly JobEvent[] = ['RUN', 'ABORT'];

const NON_FINAL: readonly Phase[] = ['PENDING', 'QUEUED', 'EXECUTING', 'UNKNOWN', 'HELD', 'SUSPENDED'];

/** event → (the phases it applies to, the phase it leads to). */
const TRANSITIONS: Record<JobEvent, { from: readonly Phase[]; to: Phase }> = {
  // HELD jobs need the client to send RUN again (§2.1.3).
  RUN: { from: ['PENDING', 'HELD'], to: 'QUEUED' },
  ABORT: { from: ['PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED', 'UNKNOWN'], to: 'ABORTED' },
  QUEUE: { from: ['PENDING'], to: 'QUEUED' },
  START: { from: ['QUEUED', 'PENDING', 'SUSPENDED', 'HELD', 'UNKNOWN'], to: 'EXECUTING' },
  // QUEUED: a very short job's EXECUTING report may be lost or overtaken by its completion.
  COMPLETE: { from: ['EXECUTING', 'QUEUED', 'UNKNOWN', 'SUSPENDED'], to: 'COMPLETED' },
  FAIL: { from: NON_FINAL, to: 'ERROR' },
  HOLD: { from: ['PENDING', 'QUEUED', 'EXECUTING'], to: 'HELD' },
  SUSPEND: { from: ['EXECUTING'], to: 'SUSPENDED' },
  RESUME: { from: ['SUSPENDED'], to: 'EXECUTING' },
  // ARCHIVED is the 1.1 alternative to forgetting a finished job at destruction time.
  ARCHIVE: { from: ['COMPLETED', 'ERROR', 'ABORTED'], to: 'ARCHIVED' },
  // Includes UNKNOWN → UNKNOWN: a repeated "don't know" from the reconciler is not an illegal report.
  UNKNOWN: { from: NON_FINAL, to: 'UNKNOWN' },
};

/** The phase `event` leads to from `from`, or undefined when the transition is illegal. */
export function nextPhase(from: Phase, event: JobEvent): Phase | undefined {
  const t = TRANSITIONS[event];
  return t.from.includes(from) ? t.to : undefined;
}

/** Events legal in `from`, e.g. for a UI that offers only the buttons that can work. */
export function legalEvents(from: Phase): JobEvent[] {
  return JOB_EVENTS.filter((event) => nextPhase(from, event) !== undefined);
}

/** COMPLETED, ERROR, ABORTED, ARCHIVED: no more work will be done. */
export function isFinal(phase: Phase): boolean {
  return FINAL_PHASES.includes(phase);
}

/** PENDING, QUEUED, EXECUTING: the only phases in which a WAIT may block (§2.2.1.2). */
export function isActive(phase: Phase): boolean {
  return ACTIVE_PHASES.includes(phase);
}
