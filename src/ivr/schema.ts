/**
 * The IVR flow file format: one YAML document per flow in ivr-flows/. This is
 * the contract between the loader (validation), the interpreter (node classes
 * in nodes/) and the people writing flows. `npm run flow-schema` publishes it
 * as ivr-flows/flow.schema.json for editors.
 *
 * A flow is a graph of named nodes. Each node has a `kind` (a call-control verb)
 * and names the node(s) that follow it; a node without a successor ends the
 * call. Durations are seconds. Prompt ids are files in prompts/<language>/,
 * chosen by the call's current language.
 *
 * Strings in `set` values, `lookup` URLs/bodies and `transfer` targets may use
 * `${variable}` placeholders, filled from the call's variables.
 */
import { z } from 'zod';

/** A node name: letters, digits, `-`, `_`, `.` — written in YAML as a map key. */
export const NodeId = z.string().regex(/^[A-Za-z][\w.-]*$/, 'a node name starts with a letter and holds letters, digits, "-", "_" or "."');

/** A variable name (call variables: contract, area, language, caller, ...). */
export const VariableName = z.string().regex(/^[A-Za-z_][\w.]*$/, 'a variable name starts with a letter or "_" and holds letters, digits, "_" or "."');

/**
 * A prompt: an id looked up in prompts/<language>/<id>.wav, or a map of
 * language → id when the wording differs per language, or a `tone:`/`silence:`
 * source of the media engine. `file:` followed by a path plays an exact file.
 */
export const PromptRef = z.union([
  z.string().min(1),
  z.record(z.string().regex(/^[a-z]{2}$/, 'a language code such as ru or en'), z.string().min(1)),
]);
export type PromptRef = z.infer<typeof PromptRef>;

const Prompts = z.array(PromptRef);
const Digit = z.string().regex(/^[0-9*#]$/, 'one key: 0-9, * or #');
const Seconds = z.number().positive();

const base = {
  /** What this node is for, for people reading the flow. */
  description: z.string().optional(),
};

export const PlayNode = z.strictObject({
  ...base,
  kind: z.literal('play'),
  prompts: Prompts.min(1),
  next: NodeId.optional(),
});

export const MenuNode = z.strictObject({
  ...base,
  kind: z.literal('menu'),
  prompts: Prompts.min(1),
  /** Key → next node. */
  choices: z.record(Digit, NodeId).refine((c) => Object.keys(c).length > 0, 'a menu needs at least one choice'),
  /** Seconds to wait for a key after the prompt ended. */
  timeout: Seconds.default(5),
  /** Times the menu is repeated after no key or a wrong key. */
  retries: z.number().int().min(0).max(10).default(2),
  /** Played after a key that is not a choice. */
  invalidPrompts: Prompts.default(['invalid-choice']),
  /** Played after no key at all (default: the menu prompt again only). */
  noInputPrompts: Prompts.default([]),
  /** Where to go when the retries are used up (default: hang up). */
  onFail: NodeId.optional(),
});

export const CollectNode = z.strictObject({
  ...base,
  kind: z.literal('collect'),
  prompts: Prompts.min(1),
  /** Call variable that receives the digits (e.g. contract). */
  variable: VariableName,
  minDigits: z.number().int().min(1).max(64).default(1),
  maxDigits: z.number().int().min(1).max(64).default(16),
  /** Key that ends the input early (not stored). */
  terminator: Digit.default('#'),
  /** Regular expression the whole input must match (e.g. ^\d{6,8}$ for a contract number). */
  pattern: z.string().optional(),
  timeout: Seconds.default(7),
  interDigitTimeout: Seconds.default(5),
  retries: z.number().int().min(0).max(10).default(2),
  invalidPrompts: Prompts.default(['invalid-choice']),
  next: NodeId,
  onFail: NodeId.optional(),
});

export const SayNode = z.strictObject({
  ...base,
  kind: z.literal('say'),
  /** Variable holding the value (position, minutes, a contract number). */
  variable: VariableName,
  /** number: "twenty three"; digits: "two, three". */
  as: z.enum(['number', 'digits']).default('number'),
  /** Grammatical gender for 1 and 2 in Russian ("одна минута"). */
  gender: z.enum(['m', 'f']).default('m'),
  before: Prompts.default([]),
  after: Prompts.default([]),
  next: NodeId.optional(),
});

/** A weekly opening schedule in a time zone, with holidays. */
export const Schedule = z.strictObject({
  /** IANA zone; default: the configuration's timezone. */
  timezone: z.string().optional(),
  /** Day (mon..sun, or a range such as mon-fri) → opening intervals "HH:MM-HH:MM". */
  hours: z.record(
    z.string().regex(/^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$/, 'a day such as mon, or a range such as mon-fri'),
    z.array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'an interval such as 08:00-20:00')),
  ),
  /** Dates (YYYY-MM-DD) when the line is closed all day. */
  holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-01-01')).default([]),
});
export type Schedule = z.infer<typeof Schedule>;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One condition of a branch; the first case whose condition holds is taken. */
export const Condition = z.union([
  z.strictObject({
    variable: VariableName,
    equals: Scalar.optional(),
    in: z.array(Scalar).optional(),
    /** Regular expression the value (as text) must match. */
    matches: z.string().optional(),
    /** true: the variable is set and not empty; false: it is not. */
    exists: z.boolean().optional(),
  }),
  z.strictObject({
    /** A schedule named in the flow's `schedules`. */
    schedule: z.string(),
    /** open: inside the hours and not a holiday; closed: otherwise; holiday: a listed date. */
    is: z.enum(['open', 'closed', 'holiday']),
  }),
]);
export type Condition = z.infer<typeof Condition>;

export const BranchNode = z.strictObject({
  ...base,
  kind: z.literal('branch'),
  cases: z.array(z.strictObject({ if: Condition, next: NodeId })).min(1),
  default: NodeId,
});

export const SetNode = z.strictObject({
  ...base,
  kind: z.literal('set'),
  variables: z.record(VariableName, Scalar).default({}),
  /** Switch the call's language (prompts, queue language). */
  language: z.string().regex(/^[a-z]{2}$/).optional(),
  /** Add 1 to these counters (a loop guard: branch on the counter). */
  increment: z.array(VariableName).default([]),
  next: NodeId,
});

export const LookupNode = z.strictObject({
  ...base,
  kind: z.literal('lookup'),
  method: z.enum(['GET', 'POST']).default('GET'),
  url: z.string().regex(/^https?:\/\//, 'an http:// or https:// URL'),
  /** POST body as JSON; string values may hold ${variable}. */
  body: z.record(z.string(), Scalar).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeout: Seconds.max(30).default(3),
  /** Call variable → dotted path in the JSON answer (e.g. area: subscriber.area). */
  assign: z.record(VariableName, z.string()).default({}),
  next: NodeId,
  /** Taken on a timeout, a network error, a non-2xx answer or a body that is not JSON. */
  onError: NodeId,
});

export const AnnounceOutageNode = z.strictObject({
  ...base,
  kind: z.literal('announce-outage'),
  /** Variable holding the caller's area (from a lookup); without it only notices for all areas play. */
  areaVariable: VariableName.default('area'),
  next: NodeId,
});

export const QueueNode = z.strictObject({
  ...base,
  kind: z.literal('queue'),
  queue: z.string().min(1),
  /** Extra minimum skill levels for this caller (on top of the queue's target). */
  skills: z.record(z.string(), z.number().int().min(1).max(10)).optional(),
  priority: z.number().int().min(0).max(9).default(0),
  /** Prompt played on entry. */
  prompts: Prompts.default(['please-hold']),
  /** Hold music, looped. */
  music: z.string().default('music/hold'),
  /** Announce the position and the estimated wait this often (0: never). */
  announceEvery: z.number().min(0).default(30),
  announcePosition: z.boolean().default(true),
  announceWait: z.boolean().default(true),
  /** Played between announcements' figures and the music ("thank you for waiting"). */
  thanksPrompts: Prompts.default(['thank-you-for-waiting']),
  /** A key that leaves the queue (to a callback or voicemail node). */
  leaveKey: Digit.optional(),
  onLeave: NodeId.optional(),
  /** Taken when the queue's max wait passes, or the queue is full. */
  onTimeout: NodeId.optional(),
  /** After the operator hung up while the caller stays on the line (e.g. a survey). */
  afterCall: NodeId.optional(),
});

export const TransferNode = z.strictObject({
  ...base,
  kind: z.literal('transfer'),
  /** A SIP URI or a number (dialled at sip:<number>@<transferDomain>); may hold ${variable}. */
  to: z.string().min(1),
  prompts: Prompts.default(['transfer']),
  timeout: Seconds.default(30),
  /** Taken when the target does not answer or refuses. */
  onFail: NodeId.optional(),
});

export const VoicemailNode = z.strictObject({
  ...base,
  kind: z.literal('voicemail'),
  prompts: Prompts.default([]),
  maxSeconds: Seconds.max(600).default(120),
  beep: z.boolean().default(true),
  /** Key that ends the message early. */
  terminator: Digit.default('#'),
  next: NodeId.optional(),
});

export const CallbackNode = z.strictObject({
  ...base,
  kind: z.literal('callback'),
  /** Queue that will call back; default: the queue the caller is waiting in. */
  queue: z.string().optional(),
  /** Ask the caller to type the number; otherwise the caller's own number is used. */
  askNumber: z.boolean().default(false),
  /** The key that accepts the offer (the default prompt says "press star"). */
  acceptKey: Digit.default('*'),
  prompts: Prompts.default(['callback-offer']),
  confirmPrompts: Prompts.default(['callback-confirmed']),
  next: NodeId.optional(),
});

export const SurveyNode = z.strictObject({
  ...base,
  kind: z.literal('survey'),
  prompts: Prompts.default(['survey-question']),
  thanksPrompts: Prompts.default(['survey-thanks']),
  min: z.number().int().min(0).max(9).default(1),
  max: z.number().int().min(0).max(9).default(5),
  timeout: Seconds.default(6),
  next: NodeId.optional(),
});

export const HangupNode = z.strictObject({
  ...base,
  kind: z.literal('hangup'),
  prompts: Prompts.default([]),
});

export const FlowNode = z.discriminatedUnion('kind', [
  PlayNode,
  MenuNode,
  CollectNode,
  SayNode,
  BranchNode,
  SetNode,
  LookupNode,
  AnnounceOutageNode,
  QueueNode,
  TransferNode,
  VoicemailNode,
  CallbackNode,
  SurveyNode,
  HangupNode,
]);
export type FlowNode = z.infer<typeof FlowNode>;
export type NodeKind = FlowNode['kind'];
export type NodeOf<K extends NodeKind> = Extract<FlowNode, { kind: K }>;

export const FlowFile = z.strictObject({
  /** Flow id (numbers map to it in hotline.yaml). Default: the file name without .yaml. */
  id: NodeId.optional(),
  description: z.string().optional(),
  /** Language the call starts in. */
  language: z.string().regex(/^[a-z]{2}$/).default('ru'),
  /** Languages the flow's prompts must exist in. */
  languages: z.array(z.string().regex(/^[a-z]{2}$/)).min(1).default(['ru', 'en']),
  /** Node where every call starts. */
  start: NodeId,
  schedules: z.record(z.string(), Schedule).default({}),
  nodes: z.record(NodeId, FlowNode),
});
export type FlowFile = z.infer<typeof FlowFile>;
