/** Domain errors carry a code; the exception filter maps each code to one HTTP status. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'INVALID_PARAMETERS'
  | 'FORBIDDEN'
  | 'ILLEGAL_PHASE'
  | 'UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'SIGN_IN_REQUIRED'
  | 'RATE_LIMITED'
  | 'CONFLICT'
  | 'INTERNAL';

export interface FieldProblem {
  field: string;
  rule: string;
  value?: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: FieldProblem[] = [],
    /** Response headers that go with the answer (WWW-Authenticate, Retry-After, Location). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (msg: string) => new DomainError('NOT_FOUND', msg);
export const badRequest = (msg: string, fields: FieldProblem[] = []) => new DomainError('BAD_REQUEST', msg, fields);
export const illegalPhase = (msg: string) => new DomainError('ILLEGAL_PHASE', msg);
export const forbidden = (msg: string) => new DomainError('FORBIDDEN', msg);
export const conflict = (msg: string) => new DomainError('CONFLICT', msg);

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'NOT_FOUND':
      return 404;
    case 'BAD_REQUEST':
    case 'INVALID_PARAMETERS':
      return 400;
    case 'FORBIDDEN':
    case 'ILLEGAL_PHASE':
      return 403;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNAUTHORIZED':
      return 401;
    case 'SIGN_IN_REQUIRED':
      return 303;
    case 'RATE_LIMITED':
      return 429;
    case 'CONFLICT':
      return 409;
    case 'UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
  }
}
