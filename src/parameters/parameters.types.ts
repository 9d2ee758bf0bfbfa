import type { ParamType } from '../descriptor/descriptor.types';

/** A typed job value. dateTime is kept as an ISO string (UTC, Z); file holds the stored upload's name. */
export type ScalarValue = string | number | boolean;

export interface JobValue {
  /** Parameter name in the descriptor's spelling. */
  name: string;
  type: ParamType;
  /** One entry unless the parameter is repeating. */
  values: ScalarValue[];
  /** Canonical lexical forms, as echoed in <uws:parameter>. */
  text: string[];
  /** True when the value came from the descriptor's default (or fixed) rather than the request. */
  defaulted: boolean;
}

export interface FieldError {
  /** Parameter name (descriptor spelling when known, else as sent). */
  field: string;
  /** Machine-readable rule: required, type, choice, min, max, pattern, maxSize, unknown, fixed, repeating. */
  rule: string;
  /** The offending value as sent, when there is one. */
  value?: string;
  /** Human sentence naming the field, the rule and the value. */
  message: string;
}

export type ValidationOutcome =
  | { ok: true; values: JobValue[] }
  | { ok: false; errors: FieldError[] };
