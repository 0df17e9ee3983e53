/** Every node kind, by name: the interpreter builds a flow's steps from this table. */
import type { FlowNode, NodeKind, NodeOf } from '../schema.ts';
import { AnnounceOutageNode } from './announce-outage.ts';
import { BranchNode } from './branch.ts';
import { CallbackNode } from './callback.ts';
import { CollectNode } from './collect.ts';
import { HangupNode } from './hangup.ts';
import { LookupNode } from './lookup.ts';
import { MenuNode } from './menu.ts';
import type { FlowStep } from './node.ts';
import { PlayNode } from './play.ts';
import { QueueNode } from './queue.ts';
import { SayNode } from './say.ts';
import { SetNode } from './set.ts';
import { SurveyNode } from './survey.ts';
import { TransferNode } from './transfer.ts';
import { VoicemailNode } from './voicemail.ts';

type NodeClass<K extends NodeKind> = new (id: string, def: NodeOf<K>) => FlowStep;

export const NODE_CLASSES: { [K in NodeKind]: NodeClass<K> } = {
  play: PlayNode,
  menu: MenuNode,
  collect: CollectNode,
  say: SayNode,
  branch: BranchNode,
  set: SetNode,
  lookup: LookupNode,
  'announce-outage': AnnounceOutageNode,
  queue: QueueNode,
  transfer: TransferNode,
  voicemail: VoicemailNode,
  callback: CallbackNode,
  survey: SurveyNode,
  hangup: HangupNode,
};

export function buildStep(id: string, def: FlowNode): FlowStep {
  const cls = NODE_CLASSES[def.kind] as NodeClass<typeof def.kind>;
  return new cls(id, def as never);
}

export type { FlowStep };
