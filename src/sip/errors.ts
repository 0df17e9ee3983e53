/** A SIP failure with the status a peer answered (or the stack decided): `SipError(486, 'Busy Here')`. */
export class SipError extends Error {
  override readonly name = 'SipError';
  readonly code = 'SIP_ERROR';
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
  }
}
