/**
 * A flow as the interpreter runs it: the validated file plus where it came
 * from. A LoadedFlow never changes once loaded; a new version of the file is a
 * new LoadedFlow, so a call keeps the version it started on.
 */
import type { FlowFile } from './schema.ts';

export interface LoadedFlow {
  /** Flow id (the file's `id`, or its name without .yaml). */
  readonly id: string;
  /** Absolute path of the file it was read from ('' for flows built in memory). */
  readonly file: string;
  /** sha256 of the file's text, hex: the version. */
  readonly hash: string;
  /** The file's text as read (the store keeps versions of it). */
  readonly text: string;
  readonly loadedAt: Date;
  readonly def: FlowFile;
}

/** What validation needs to know about the rest of the system. */
export interface FlowEnvironment {
  /** Does prompts/<language>/<id>.wav (or the given relative path) exist? */
  promptExists(id: string, language: string): boolean;
  /** Queue ids known to the ACD. */
  queueExists(queueId: string): boolean;
  /** Skill names declared in the configuration. */
  skillExists?(skill: string): boolean;
}
