import type { QueueConfig } from './types.ts';

/** Defaults for a queue's settings, shared by the config loader, tests and the simulator. */
export const QUEUE_DEFAULTS: Omit<QueueConfig, 'id' | 'target'> = {
  strategy: 'longest-idle',
  weight: 1,
  serviceLevelSeconds: 20,
  shortAbandonSeconds: 5,
  serviceLevelDefinition: 'asterisk-sl',
  maxWaitSeconds: null,
  maxLength: null,
  wrapUpSeconds: 15,
  ringTimeoutSeconds: 20,
  maxNoAnswer: 3,
  retrySeconds: 5,
  escalation: [],
};

export function queueConfig(q: Pick<QueueConfig, 'id' | 'target'> & Partial<QueueConfig>): QueueConfig {
  return { ...QUEUE_DEFAULTS, ...q };
}
