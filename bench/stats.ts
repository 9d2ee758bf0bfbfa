/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export const median = (samples: number[]) => percentile(samples, 50);

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Shown as "(target …)"; absent for figures reported for information only. */
  target?: { op: '>=' | '<'; limit: number };
  note?: string;
}

export function pass(f: Figure): boolean | undefined {
  if (!f.target || !Number.isFinite(f.value)) return f.target ? false : undefined;
  return f.target.op === '>=' ? f.value >= f.target.limit : f.value < f.target.limit;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function line(f: Figure): string {
  const ok = pass(f);
  const target = f.target ? ` (target ${f.target.op} ${f.target.limit.toLocaleString('en-US')} ${f.unit})` : ' (info)';
  const verdict = ok === undefined ? '' : ok ? ' PASS' : ' MISS';
  return `${f.name}: ${fmt(f.value)} ${f.unit}${target}${verdict}${f.note ? `   [${f.note}]` : ''}`;
}
