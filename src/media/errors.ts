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
  /** A write or sync on a WavWriter that is already closed. */
  | 'MEDIA_WRITER_CLOSED';

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
