/**
 * Typed errors of the media layer. `code` is stable and safe to match on; the
 * message is written for the administrator (it names the file and what was found).
 */
export type MediaErrorCode =
  /** The file is not a well-formed WAV: no RIFF/WAVE header, a missing or short chunk, truncated data. */
  | 'MEDIA_BAD_WAV'
  /** A well-formed WAV in a format hotline does not play (not 8000 Hz mono PCM16 / A-law / µ-law). */
  | 'MEDIA_UNSUPPORTED_WAV'
  /** Reading or writing an audio file failed at the file-system level. */
  | 'MEDIA_FILE_ERROR'
  /** A caller-provided destination buffer is shorter than the samples to convert. */
  | 'MEDIA_BUFFER_TOO_SMALL'
  /** An argument is out of range (channel count, frame length...). */
  | 'MEDIA_BAD_ARGUMENT'
  /** An SDP body that cannot be used: not SDP, a malformed m= line, a missing or bad c= address or port. */
  | 'MEDIA_SDP_INVALID'
  /** A well-formed SDP we cannot accept: no audio stream, no G.711 in common, SRTP/DTLS (calls map it to SIP 488). */
  | 'MEDIA_SDP_NO_COMMON_CODEC'
  /** A write or sync on a WavWriter that is already closed. */
  | 'MEDIA_WRITER_CLOSED'
  /** Every RTP port of the configured range is in use (or refused by the OS). */
  | 'MEDIA_PORTS_EXHAUSTED'
  /** The endpoint was destroyed (hang-up, RTP timeout) before or during the operation. */
  | 'MEDIA_ENDPOINT_GONE'
  /** The operation was stopped through its AbortSignal. */
  | 'MEDIA_ABORTED'
  /** The operation does not fit the endpoint's state (bridge to itself, modify without an offer...). */
  | 'MEDIA_BAD_STATE'
  /** The media worker thread is not running (failed to start or exited). */
  | 'MEDIA_ENGINE_DOWN'
  /** An unexpected failure inside the engine (a bug): the message says what happened. */
  | 'MEDIA_INTERNAL';

export interface MediaErrorDetails {
  /** The file involved, when there is one. */
  file?: string;
  cause?: unknown;
}

export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly file: string | undefined;

  constructor(
    readonly code: MediaErrorCode,
    message: string,
    details: MediaErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.file = details.file;
  }
}
