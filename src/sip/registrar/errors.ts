/** Typed errors of the registrar. `code` is stable and safe to match on. */
export type RegistrarErrorCode =
  /** register()/lookup() before init(). */
  | 'REG_NOT_INITIALIZED'
  | 'REG_ALREADY_INITIALIZED'
  /** The binding store failed; nothing was committed to the in-memory index (RFC 3261 §10.3 step 7: answer 500). */
  | 'REG_STORE_FAILED'
  /** The binding file exists but is not ours to read (not JSON, wrong version); it was moved aside. */
  | 'REG_STORE_CORRUPT'
  /** Bad constructor options (minExpires > maxExpires...). */
  | 'REG_BAD_CONFIG';

export class RegistrarError extends Error {
  override readonly name = 'RegistrarError';
  constructor(
    readonly code: RegistrarErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
