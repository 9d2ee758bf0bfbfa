import type { LintMessage } from './descriptor.types';

/** Collects lint messages for one file, so readers don't repeat the file name at every call. */
export class LintSink {
  readonly messages: LintMessage[] = [];

  constructor(readonly file: string) {}

  error(line: number | null | undefined, message: string): void {
    this.messages.push({ severity: 'error', file: this.file, line: line ?? 0, message });
  }

  warning(line: number | null | undefined, message: string): void {
    this.messages.push({ severity: 'warning', file: this.file, line: line ?? 0, message });
  }

  get hasErrors(): boolean {
    return this.messages.some((m) => m.severity === 'error');
  }
}
