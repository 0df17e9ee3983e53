/**
 * The usual FlowEnvironment: prompts from a PromptLibrary, queue and skill ids
 * from the configuration. main.ts and `hotline flow check` both build one.
 */
import type { FlowEnvironment } from './flow.ts';
import type { PromptLibrary } from './prompts.ts';

export interface FlowEnvironmentOptions {
  prompts: PromptLibrary;
  /** Queue ids (hotline.yaml `queues[].id`). */
  queues: Iterable<string>;
  /** Declared skills (hotline.yaml `skills`); without them skill names are not checked. */
  skills?: Iterable<string>;
}

export function flowEnvironment(opts: FlowEnvironmentOptions): FlowEnvironment {
  const queues = new Set(opts.queues);
  const env: FlowEnvironment = {
    promptExists: (id, language) => opts.prompts.exists(id, language),
    queueExists: (queueId) => queues.has(queueId),
  };
  if (opts.skills !== undefined) {
    const skills = new Set(opts.skills);
    env.skillExists = (skill) => skills.has(skill);
  }
  return env;
}
