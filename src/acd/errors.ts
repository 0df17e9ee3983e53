/** Typed errors of the ACD core. `code` is stable and safe to match on. */
export type AcdErrorCode =
  | 'ACD_ILLEGAL_TRANSITION'
  | 'ACD_UNKNOWN_AGENT'
  | 'ACD_UNKNOWN_QUEUE'
  | 'ACD_UNKNOWN_CONTACT'
  | 'ACD_UNKNOWN_RESERVATION'
  | 'ACD_DUPLICATE_CONTACT'
  | 'ACD_BAD_EXPRESSION'
  | 'ACD_BAD_ARGUMENT';

export class AcdError extends Error {
  override readonly name = 'AcdError';
  constructor(
    readonly code: AcdErrorCode,
    message: string,
  ) {
    super(message);
  }
}
