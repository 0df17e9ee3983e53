/**
 * hotline configuration: one validated object, read from a YAML file
 * (`hotline.yaml` in the working directory, or $HOTLINE_CONFIG) with a few
 * environment overrides (HOTLINE_HTTP_HOST, HOTLINE_HTTP_PORT, HOTLINE_SIP_PORT, LOG_LEVEL).
 *
 * Validation happens in two passes: the zod schema (types, ranges, enums,
 * defaults), then cross-field checks (unique ids, references between queues,
 * agents, skills and languages, skill expressions). Every problem becomes one
 * line of a ConfigError naming the file, the field path and what was expected:
 *
 *   hotline.yaml: queues[2].strategy: expected one of longest-idle, ... (got "fastest") at line 41
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { parseSkillExpression } from './acd/expression.ts';
import { SERVICE_LEVEL_DEFINITIONS, STRATEGIES, type AgentConfig, type QueueConfig } from './acd/types.ts';
import { TYPE_WORDS, bound, editDistance } from './validation-words.ts';

export const DEFAULT_CONFIG_FILE = 'hotline.yaml';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const ENGINES = ['embedded', 'drachtio'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface HotlineConfig {
  /** Signaling + media engines (see DESIGN.md): embedded by default. */
  engine: EngineName;
  /** Serves /metrics and the REST API. */
  http: { host: string; port: number };
  log: { level: LogLevel };
  /** IANA time zone used for reports and schedules. */
  timezone: string;
  /** Declared skill vocabulary; agents and expressions use these names. */
  skills: string[];
  /** Declared language codes; agents speak some of them. */
  languages: string[];
  queues: QueueConfig[];
  agents: AgentConfig[];
  sip: SipConfig;
  media: MediaConfig;
  calls: CallsConfig;
}

/** The call path: which flow answers which number, where recordings and CDRs go, operators' codes. */
export interface CallsConfig {
  /** Folder of IVR flow files (watched: changes apply to new calls). */
  flowsDir: string;
  /** Dialled number (Request-URI user) → flow id. Every number here may be called without credentials. */
  numbers: Array<{ number: string; flow: string }>;
  /** Folder for call recordings (stereo WAV: caller left, operator right). */
  recordingsDir: string;
  /** Record calls between callers and operators. */
  record: boolean;
  /** Codes an operator's softphone dials to change state. */
  featureCodes: { login: string; ready: string; break: string; logout: string };
  /** During a call the operator presses `##` then a code to transfer the caller: code → queue id or number. */
  transferCodes: Record<string, string>;
  /** Domain for `transfer` targets given as bare numbers (sip:<number>@<domain>). */
  transferDomain?: string;
  /** Outage notices by area, until admins set them through the API. */
  outages: Array<{ area: string; prompt: string; from?: string; until?: string }>;
}

/** The embedded media engine (RTP, prompts, recordings). */
export interface MediaConfig {
  /** Address RTP sockets bind to. */
  bindAddress: string;
  /** Address written into SDP; default: sip.advertise, else the machine's first non-loopback IPv4. */
  advertise?: string;
  /** Even RTP ports are taken from this range; RTCP uses port + 1. */
  rtpPorts: { min: number; max: number };
  /** A phone that should send audio and stays silent this long ends its call. 0 disables. */
  rtpTimeoutSeconds: number;
  /** Packetisation we offer and use when the phone states none (ms). */
  ptime: 10 | 20 | 30 | 40 | 50 | 60;
  /** Codecs in our order of preference for offers (answers follow the caller's order). */
  codecs: Array<'PCMU' | 'PCMA'>;
  /** Media worker threads; default: one per CPU, at most 4. */
  workers?: number;
}

/** The embedded SIP engine: where it listens, who may call without credentials, operators' credentials (HA1 only). */
export interface SipConfig {
  listen: Array<{ protocol: 'udp' | 'tcp'; host: string; port: number }>;
  /** Address put in Via and Contact when listening on a wildcard address. */
  advertise?: string;
  /** Digest realm. */
  realm: string;
  /**
   * Digest challenges offered, in order. Default MD5 only: common softphones
   * (libre/baresip 1.x, SIPp 3.6) fail outright when any challenge is SHA-256.
   * Offer ['SHA-256', 'MD5'] (RFC 7616 order) when every phone is modern.
   */
  digestAlgorithms: Array<'MD5' | 'SHA-256'>;
  /** Hotline numbers (Request-URI user parts) anyone may call without credentials. */
  publicNumbers: string[];
  /** Operators' SIP credentials, HA1 only: MD5(user:realm:password) and SHA-256(user:realm:password). */
  users: Array<{ username: string; ha1Md5?: string; ha1Sha256?: string }>;
}

export type ConfigErrorCode = 'HOTLINE_CONFIG_INVALID' | 'HOTLINE_CONFIG_NOT_FOUND' | 'HOTLINE_CONFIG_YAML';

export interface ConfigProblem {
  /** Field path such as `queues[2].strategy`; '' for the whole file; an env var name for overrides. */
  path: string;
  /** What was expected and what was found. */
  message: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

/** One line per problem; `file` is the configuration file, or 'environment' for a bad override. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((p) => formatProblem(code, file, p)).join('\n'));
  }
}

function formatProblem(code: ConfigErrorCode, file: string, p: ConfigProblem): string {
  if (code === 'HOTLINE_CONFIG_YAML' && p.line !== undefined) {
    return `${file}: line ${p.line}, column ${p.column ?? 1}: ${p.message}`;
  }
  const where = p.line !== undefined ? ` at line ${p.line}` : '';
  return `${file}: ${p.path ? `${p.path}: ` : ''}${p.message}${where}`;
}

// ---------------------------------------------------------------- schema

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SKILL = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const id = z.string().regex(ID, { error: "expected an id of at most 64 letters, digits, '.', '_' or '-', starting with a letter or digit" });
const skillName = z.string().regex(SKILL, { error: 'expected a skill name: a letter or _ followed by letters, digits or _' });
const languageCode = z.string().regex(LANGUAGE, { error: 'expected a language code such as ru, en or pt-BR' });
const seconds = z.number().min(0);
const noLimit = (what: string) => ({ error: `expected ${what}, or null for no limit` });

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const EscalationStepSchema = z.strictObject({
  afterSeconds: seconds,
  target: z.string().min(1).optional(),
  priority: z.number().int().min(0).max(9).optional(),
  overflowTo: id.optional(),
});

const QueueSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  target: z.string().min(1),
  strategy: z.enum(STRATEGIES).default('longest-idle'),
  weight: z.number().min(0).default(1),
  serviceLevelSeconds: z.number().positive().default(20),
  shortAbandonSeconds: seconds.default(5),
  serviceLevelDefinition: z.enum(SERVICE_LEVEL_DEFINITIONS).default('asterisk-sl'),
  maxWaitSeconds: z.number(noLimit('a number of seconds')).positive().nullable().default(null),
  maxLength: z.number(noLimit('a number of contacts')).int(noLimit('a whole number of contacts')).positive().nullable().default(null),
  wrapUpSeconds: seconds.default(15),
  ringTimeoutSeconds: z.number().positive().default(20),
  maxNoAnswer: z.number().int().min(0).default(3),
  retrySeconds: seconds.default(5),
  escalation: z.array(EscalationStepSchema).default([]),
  members: z.array(id).optional(),
});

const AgentSchema = z.strictObject({
  id,
  name: z.string().min(1),
  skills: z.record(z.string(), z.number({ error: 'expected a skill level, an integer from 1 to 10' }).int().min(1).max(10)).default({}),
  languages: z.array(z.string()).min(1),
  weight: z.number().positive().optional(),
});

const port = z.number().int().min(0).max(65535);

const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-f]{${length}}$`), { error: `expected ${length} lower-case hex digits (an HA1, never a password)` });

const SipSchema = z.strictObject({
  listen: z
    .array(z.strictObject({ protocol: z.enum(['udp', 'tcp']), host: z.string().min(1), port }))
    .min(1)
    .default([
      { protocol: 'udp', host: '0.0.0.0', port: 5060 },
      { protocol: 'tcp', host: '0.0.0.0', port: 5060 },
    ]),
  advertise: z.string().min(1).optional(),
  realm: z.string().min(1).default('hotline'),
  digestAlgorithms: z.array(z.enum(['MD5', 'SHA-256'])).min(1).default(['MD5']),
  publicNumbers: z.array(z.string().min(1)).default([]),
  users: z.array(z.strictObject({ username: z.string().min(1), ha1Md5: hex(32).optional(), ha1Sha256: hex(64).optional() })).default([]),
});

const MediaSchema = z
  .strictObject({
    bindAddress: z.string().min(1).default('0.0.0.0'),
    advertise: z.string().min(1).optional(),
    rtpPorts: z.strictObject({ min: z.number().int().min(1024).max(65534), max: z.number().int().min(1024).max(65535) }).default({ min: 20000, max: 29999 }),
    rtpTimeoutSeconds: z.number().min(0).max(3600).default(60),
    ptime: z.union([z.literal(10), z.literal(20), z.literal(30), z.literal(40), z.literal(50), z.literal(60)]).default(20),
    codecs: z.array(z.enum(['PCMU', 'PCMA'])).min(1).default(['PCMU', 'PCMA']),
    workers: z.number().int().min(1).max(64).optional(),
  })
  .refine((m) => m.rtpPorts.max - m.rtpPorts.min >= 3, { error: 'rtpPorts: max must be at least min + 3 (one RTP/RTCP pair)', path: ['rtpPorts'] });

const featureCode = z.string().regex(/^[*#0-9]{1,8}$/, { error: 'expected a code of keys such as *1' });

const CallsSchema = z.strictObject({
  flowsDir: z.string().min(1).default('ivr-flows'),
  numbers: z.array(z.strictObject({ number: z.string().regex(/^[+*#0-9A-Za-z._-]{1,32}$/, { error: 'expected a dialled number such as 88002000600' }), flow: z.string().min(1) })).default([]),
  recordingsDir: z.string().min(1).default('data/recordings'),
  record: z.boolean().default(true),
  featureCodes: z
    .strictObject({ login: featureCode.default('*1'), break: featureCode.default('*2'), ready: featureCode.default('*3'), logout: featureCode.default('*4') })
    .prefault({}),
  transferCodes: z.record(z.string().regex(/^[0-9]{1,6}$/, { error: 'expected a code of digits' }), z.string().min(1)).default({}),
  transferDomain: z.string().min(1).optional(),
  outages: z
    .array(
      z.strictObject({
        area: z.string().min(1),
        prompt: z.string().min(1),
        from: z.iso.datetime({ offset: true }).optional(),
        until: z.iso.datetime({ offset: true }).optional(),
      }),
    )
    .default([]),
});

const ConfigSchema = z.strictObject({
  engine: z.enum(ENGINES).default('embedded'),
  http: z.strictObject({ host: z.string().min(1).default('0.0.0.0'), port: port.default(8080) }).prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
  timezone: z.string().refine(isTimeZone, { error: 'expected an IANA time zone name such as Europe/Moscow' }).default('Europe/Moscow'),
  skills: z.array(skillName).default([]),
  languages: z.array(languageCode).default([]),
  queues: z.array(QueueSchema).default([]),
  agents: z.array(AgentSchema).default([]),
  sip: SipSchema.prefault({}),
  media: MediaSchema.prefault({}),
  calls: CallsSchema.prefault({}),
});

type Parsed = z.output<typeof ConfigSchema>;

/** The "expected ..." half of a message, in YAML words rather than JS ones. */
const expectation: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${TYPE_WORDS[iss.expected] ?? iss.expected}`;
    case 'invalid_value':
      return iss.values.length === 1 ? `expected ${String(iss.values[0])}` : `expected one of ${iss.values.map(String).join(', ')}`;
    case 'too_small':
      return bound(iss.origin, iss.inclusive ? '>=' : '>', Number(iss.minimum));
    case 'too_big':
      return bound(iss.origin, iss.inclusive ? '<=' : '<', Number(iss.maximum));
    default:
      return undefined;
  }
};

// ---------------------------------------------------------------- problems

type Segment = string | number;

interface RawProblem {
  path: readonly Segment[];
  message: string;
  /** The offending value; omitted when the message already says it all. */
  got?: { value: unknown };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function describe(p: RawProblem): string {
  if (!p.got) return p.message;
  return p.got.value === undefined ? `missing (${p.message})` : `${p.message} (got ${show(p.got.value)})`;
}

function fromZod(issues: readonly z.core.$ZodIssue[]): RawProblem[] {
  const out: RawProblem[] = [];
  for (const iss of issues) {
    const path = iss.path.filter((s): s is Segment => typeof s !== 'symbol');
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeys(path);
      for (const key of iss.keys) out.push({ path: [...path, key], message: `unknown field${suggest(key, known)}` });
    } else {
      out.push({ path, message: iss.message, got: { value: iss.input } });
    }
  }
  return out;
}

/** Field names the schema accepts at `path` (for "unknown field" hints). */
function knownKeys(path: readonly Segment[]): string[] {
  let s: z.core.$ZodType = ConfigSchema;
  const unwrap = (t: z.core.$ZodType): z.core.$ZodType => {
    while (t instanceof z.ZodDefault || t instanceof z.ZodPrefault || t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
    return t;
  };
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodArray) s = s.element;
    else if (s instanceof z.ZodObject) {
      const next = (s.shape as Record<string, z.core.$ZodType>)[String(seg)];
      if (!next) return [];
      s = next;
    } else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function suggest(key: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const camel = key.replace(/[_-]+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
  const near = known.find((k) => k === camel || k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k, key) <= 2);
  return near ? ` (did you mean ${near}?)` : ` (expected one of ${known.join(', ')})`;
}

// ---------------------------------------------------------------- cross-field checks

function crossCheck(c: Parsed): RawProblem[] {
  const out: RawProblem[] = [];
  const add = (path: Segment[], message: string, got?: unknown): void => {
    out.push(got === undefined ? { path, message } : { path, message, got: { value: got } });
  };

  const declare = (list: readonly string[], section: 'skills' | 'languages'): Set<string> => {
    const seen = new Set<string>();
    list.forEach((name, i) => {
      if (seen.has(name)) add([section, i], 'expected each name to be declared once', name);
      if (section === 'skills' && name === 'lang') add([section, i], "expected a skill name other than lang, which expressions use for the caller's language", name);
      seen.add(name);
    });
    return seen;
  };
  const skills = declare(c.skills, 'skills');
  const languages = declare(c.languages, 'languages');

  const firstIndex = <T extends { id: string }>(items: readonly T[], section: 'queues' | 'agents'): Map<string, number> => {
    const index = new Map<string, number>();
    items.forEach((item, i) => {
      const first = index.get(item.id);
      if (first === undefined) index.set(item.id, i);
      else add([section, i, 'id'], `expected a unique id, already used by ${section}[${first}]`, item.id);
    });
    return index;
  };
  const queueIndex = firstIndex(c.queues, 'queues');
  const agentIndex = firstIndex(c.agents, 'agents');

  const checkExpression = (path: Segment[], text: string): void => {
    try {
      parseSkillExpression(text);
    } catch (err) {
      add(path, `expected a valid skill expression (${err instanceof Error ? err.message : String(err)})`);
    }
  };

  c.queues.forEach((q, qi) => {
    checkExpression(['queues', qi, 'target'], q.target);
    let previous: number | undefined;
    q.escalation.forEach((step, si) => {
      const at: Segment[] = ['queues', qi, 'escalation', si];
      if (step.target === undefined && step.priority === undefined && step.overflowTo === undefined) {
        add(at, 'expected at least one of target, priority, overflowTo');
      }
      if (previous !== undefined && step.afterSeconds <= previous) {
        add([...at, 'afterSeconds'], `expected more than ${previous}, the afterSeconds of the step before`, step.afterSeconds);
      }
      if (q.maxWaitSeconds !== null && step.afterSeconds >= q.maxWaitSeconds) {
        add([...at, 'afterSeconds'], `expected less than maxWaitSeconds (${q.maxWaitSeconds}), or the step never happens`, step.afterSeconds);
      }
      previous = step.afterSeconds;
      if (step.target !== undefined) checkExpression([...at, 'target'], step.target);
      if (step.overflowTo === q.id) {
        add([...at, 'overflowTo'], 'expected a queue other than the queue itself', step.overflowTo);
      } else if (step.overflowTo !== undefined && !queueIndex.has(step.overflowTo)) {
        add([...at, 'overflowTo'], `expected the id of a configured queue: ${[...queueIndex.keys()].join(', ')}`, step.overflowTo);
      }
    });
    const members = new Set<string>();
    (q.members ?? []).forEach((m, mi) => {
      if (!agentIndex.has(m)) add(['queues', qi, 'members', mi], 'expected the id of a configured agent', m);
      else if (members.has(m)) add(['queues', qi, 'members', mi], 'expected each agent listed once', m);
      members.add(m);
    });
  });
  out.push(...overflowLoops(c.queues));

  const numbers = new Set<string>();
  c.calls.numbers.forEach((n, ni) => {
    if (numbers.has(n.number)) add(['calls', 'numbers', ni, 'number'], 'expected each number listed once', n.number);
    numbers.add(n.number);
  });
  const codes = Object.entries(c.calls.featureCodes);
  codes.forEach(([name, code]) => {
    if (codes.some(([other, oc]) => other !== name && oc === code)) add(['calls', 'featureCodes', name], 'expected a code no other feature uses', code);
  });
  for (const [code, target] of Object.entries(c.calls.transferCodes)) {
    if (!queueIndex.has(target) && !/^(sips?:|[+0-9])/.test(target)) add(['calls', 'transferCodes', code], 'expected a queue id, a number or a sip: URI', target);
  }

  c.agents.forEach((a, ai) => {
    for (const skill of Object.keys(a.skills)) {
      if (!skills.has(skill)) add(['agents', ai, 'skills', skill], `expected a declared skill: ${[...skills].join(', ') || '(skills is empty)'}`, skill);
    }
    a.languages.forEach((lang, li) => {
      if (!languages.has(lang)) add(['agents', ai, 'languages', li], `expected a declared language: ${[...languages].join(', ') || '(languages is empty)'}`, lang);
    });
  });
  return out;
}

/** A contact must never bounce between queues forever: report each overflow loop once. */
function overflowLoops(queues: readonly QueueConfig[]): RawProblem[] {
  const edges = new Map<string, { to: string; path: Segment[] }[]>();
  queues.forEach((q, qi) =>
    q.escalation.forEach((s, si) => {
      if (s.overflowTo === undefined || s.overflowTo === q.id) return;
      const list = edges.get(q.id) ?? [];
      list.push({ to: s.overflowTo, path: ['queues', qi, 'escalation', si, 'overflowTo'] });
      edges.set(q.id, list);
    }),
  );
  const out: RawProblem[] = [];
  const reported = new Set<string>();
  const walk = (trail: string[], firstPath: Segment[] | undefined): void => {
    const start = trail[0] as string;
    for (const e of edges.get(trail[trail.length - 1] as string) ?? []) {
      const path = firstPath ?? e.path;
      if (e.to === start) {
        const key = [...trail].sort().join(' ');
        if (!reported.has(key)) out.push({ path, message: `expected no overflow loop (${[...trail, start].join(' -> ')})` });
        reported.add(key);
      } else if (!trail.includes(e.to)) walk([...trail, e.to], path);
    }
  };
  for (const q of queues) walk([q.id], undefined);
  return out;
}

// ---------------------------------------------------------------- entry points

/** Parse and validate configuration text; `fileName` only labels messages. */
export function parseConfig(text: string, fileName: string): HotlineConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'HOTLINE_CONFIG_YAML',
      fileName,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: '', message: e.message.split('\n')[0] ?? e.message, line: Math.max(line, 1), column: Math.max(col, 1) };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    throw new ConfigError('HOTLINE_CONFIG_YAML', fileName, [{ path: '', message: err instanceof Error ? err.message : String(err) }]);
  }

  const result = ConfigSchema.safeParse(raw, { reportInput: true, error: expectation });
  const problems = result.success ? crossCheck(result.data) : fromZod(result.error.issues);
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(
      'HOTLINE_CONFIG_INVALID',
      fileName,
      problems
        .map((p) => ({ path: formatPath(p.path), message: describe(p), ...locate(doc, lineCounter, p.path) }))
        .sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    );
  }
  const config: HotlineConfig = result.data;
  return config;
}

/** Line of the nearest node the document has along `path`. */
function locate(doc: Document, lc: LineCounter, path: readonly Segment[]): { line?: number } {
  for (let n = path.length; n > 0; n--) {
    const node: unknown = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return { line: lc.linePos(node.range[0]).line };
  }
  return {};
}

/**
 * Load the configuration: `path`, else $HOTLINE_CONFIG, else ./hotline.yaml;
 * then apply HOTLINE_HTTP_HOST, HOTLINE_HTTP_PORT and LOG_LEVEL from `env`.
 */
export function loadConfig(path?: string, env: Readonly<Record<string, string | undefined>> = process.env): HotlineConfig {
  const file = path ?? (env['HOTLINE_CONFIG'] || DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `not found (looked for ${resolve(file)}; set HOTLINE_CONFIG to use another file)` : `cannot be read (${(err as Error).message})`;
    throw new ConfigError('HOTLINE_CONFIG_NOT_FOUND', file, [{ path: '', message: `configuration file ${reason}` }]);
  }
  return applyEnv(parseConfig(text, file), env);
}

function applyEnv(config: HotlineConfig, env: Readonly<Record<string, string | undefined>>): HotlineConfig {
  const problems: ConfigProblem[] = [];
  const http = { ...config.http };
  const log = { ...config.log };
  const host = env['HOTLINE_HTTP_HOST'];
  if (host) http.host = host;
  const portText = env['HOTLINE_HTTP_PORT'];
  if (portText) {
    const n = Number(portText);
    if (/^\d+$/.test(portText) && n <= 65535) http.port = n;
    else problems.push({ path: 'HOTLINE_HTTP_PORT', message: `expected a port number from 0 to 65535 (got ${JSON.stringify(portText)})` });
  }
  let sip = config.sip;
  const sipPortText = env['HOTLINE_SIP_PORT'];
  if (sipPortText) {
    const n = Number(sipPortText);
    if (/^\d+$/.test(sipPortText) && n <= 65535) sip = { ...sip, listen: sip.listen.map((l) => ({ ...l, port: n })) };
    else problems.push({ path: 'HOTLINE_SIP_PORT', message: `expected a port number from 0 to 65535 (got ${JSON.stringify(sipPortText)})` });
  }
  const level = env['LOG_LEVEL'];
  if (level) {
    const found = LOG_LEVELS.find((l) => l === level.toLowerCase());
    if (found) log.level = found;
    else problems.push({ path: 'LOG_LEVEL', message: `expected one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(level)})` });
  }
  if (problems.length > 0) {
    // The file is fine; name the variable instead, as "environment: VAR: ...".
    throw new ConfigError('HOTLINE_CONFIG_INVALID', 'environment', problems);
  }
  return { ...config, http, log, sip };
}
