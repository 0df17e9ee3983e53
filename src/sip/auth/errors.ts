/** Typed errors of digest authentication. `code` is stable and safe to match on. */
export type AuthErrorCode =
  /** The header value does not follow the auth-param grammar (RFC 7235 §2.1, RFC 3261 §25.1). */
  | 'AUTH_SYNTAX'
  /** The header value is longer than we are willing to parse. */
  | 'AUTH_TOO_LONG'
  /** A parameter appears twice (RFC 7235 §2.1: "each parameter name MUST only occur once"). */
  | 'AUTH_DUPLICATE_PARAM'
  /** A parameter the scheme requires is absent (RFC 7616 §3.4). */
  | 'AUTH_MISSING_PARAM'
  /** A parameter is present but its value is not acceptable (nc not 8 hex digits, response not hex...). */
  | 'AUTH_BAD_PARAM'
  /** Not the Digest scheme. */
  | 'AUTH_UNSUPPORTED_SCHEME'
  /** A challenge we could answer was not offered (client side). */
  | 'AUTH_NO_USABLE_CHALLENGE'
  /** A value we would have to put in a header contains CR, LF or another control character. */
  | 'AUTH_UNSAFE_VALUE'
  /** The credential store failed (the SIP layer answers 500). */
  | 'AUTH_STORE_FAILED'
  /** Bad constructor options (secret too short, slowAfter > blockAfter...). */
  | 'AUTH_BAD_CONFIG';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
