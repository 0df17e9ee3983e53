/**
 * Checks against the world outside the file — prompts on disk, queues and
 * skills in the configuration — and the cross-field rules the schema cannot
 * say: a pattern that compiles, minDigits <= maxDigits, a known time zone.
 * A flow that passes them will not fail mid-call for a reason known at load time.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { didYouMean, type Finding, type FlowParts } from './findings.ts';
import type { FlowEnvironment } from './flow.ts';
import type { FlowNode, PromptRef } from './schema.ts';
import type { PathSegment } from '../yaml-lines.ts';

/** Fields holding a list of prompts, and those holding one prompt id (hold music). */
const PROMPT_LISTS = ['prompts', 'invalidPrompts', 'noInputPrompts', 'before', 'after', 'thanksPrompts', 'confirmPrompts'] as const;
const PROMPT_SINGLES = ['music'] as const;

export interface ReferenceContext {
  env: FlowEnvironment;
  /** Folder that `file:` prompt paths are relative to: the flow file's. */
  flowDir: string;
}

export function checkReferences(parts: FlowParts, ctx: ReferenceContext): Finding[] {
  const out: Finding[] = [];
  const add = (code: Finding['code'], path: PathSegment[], message: string): void => {
    out.push({ code, path, message });
  };
  const languages = new Set(parts.languages);
  if (parts.language !== undefined && !languages.has(parts.language)) {
    add('FLOW_REFERENCE', ['language'], `start language "${parts.language}" is not in languages (${parts.languages.join(', ')})`);
  }
  for (const [name, s] of Object.entries(parts.schedules)) {
    const at: PathSegment[] = ['schedules', name];
    if (s.timezone !== undefined && !isTimeZone(s.timezone)) add('FLOW_REFERENCE', [...at, 'timezone'], `"${s.timezone}" is not an IANA time zone (such as Europe/Moscow)`);
    for (const [day, intervals] of Object.entries(s.hours)) {
      intervals.forEach((iv, i) => {
        const [from, to] = iv.split('-');
        if (from !== undefined && to !== undefined && from >= to) add('FLOW_SCHEMA', [...at, 'hours', day, i], `interval ${iv} ends before it starts (split a night shift over two days)`);
      });
    }
    s.holidays.forEach((d, i) => {
      if (!isRealDate(d)) add('FLOW_SCHEMA', [...at, 'holidays', i], `${d} is not a date in the calendar`);
    });
  }
  for (const [name, node] of parts.nodes) {
    const at = (...field: PathSegment[]): PathSegment[] => ['nodes', name, ...field];
    checkPrompts(node, parts.languages, ctx, at, add);
    checkNode(node, parts, ctx.env, at, add);
  }
  return out;
}

type Add = (code: Finding['code'], path: PathSegment[], message: string) => void;
type At = (...field: PathSegment[]) => PathSegment[];

function checkNode(node: FlowNode, parts: FlowParts, env: FlowEnvironment, at: At, add: Add): void {
  const queue = (q: string | undefined): void => {
    if (q !== undefined && !env.queueExists(q)) add('FLOW_REFERENCE', at('queue'), `queue "${q}" is not configured`);
  };
  switch (node.kind) {
    case 'queue':
      queue(node.queue);
      if (env.skillExists) {
        for (const skill of Object.keys(node.skills ?? {})) {
          if (!env.skillExists(skill)) add('FLOW_REFERENCE', at('skills', skill), `skill "${skill}" is not declared in the configuration`);
        }
      }
      if (node.leaveKey !== undefined && node.onLeave === undefined) add('FLOW_SCHEMA', at('leaveKey'), 'leaveKey needs onLeave, the node to go to when the key is pressed');
      if (node.leaveKey === undefined && node.onLeave !== undefined) add('FLOW_SCHEMA', at('onLeave'), 'onLeave needs leaveKey, the key that leaves the queue');
      break;
    case 'callback':
      queue(node.queue);
      break;
    case 'collect':
      if (node.minDigits > node.maxDigits) add('FLOW_SCHEMA', at('minDigits'), `minDigits (${node.minDigits}) is more than maxDigits (${node.maxDigits})`);
      if (node.pattern !== undefined) checkRegex(node.pattern, at('pattern'), add);
      break;
    case 'survey':
      if (node.min > node.max) add('FLOW_SCHEMA', at('min'), `min (${node.min}) is more than max (${node.max})`);
      break;
    case 'set':
      if (node.language !== undefined && !parts.languages.includes(node.language)) {
        add('FLOW_REFERENCE', at('language'), `language "${node.language}" is not in the flow's languages (${parts.languages.join(', ')})`);
      }
      break;
    case 'branch':
      node.cases.forEach((c, i) => {
        if ('schedule' in c.if) {
          const names = Object.keys(parts.schedules);
          if (!names.includes(c.if.schedule)) {
            add('FLOW_REFERENCE', at('cases', i, 'if', 'schedule'), `schedule "${c.if.schedule}" is not defined in schedules${didYouMean(c.if.schedule, names)}`);
          }
        } else if (c.if.matches !== undefined) {
          checkRegex(c.if.matches, at('cases', i, 'if', 'matches'), add);
        }
      });
      break;
    default:
      break;
  }
}

function checkPrompts(node: FlowNode, languages: readonly string[], ctx: ReferenceContext, at: At, add: Add): void {
  const fields: Partial<Record<string, unknown>> = node;
  for (const f of PROMPT_LISTS) {
    const list = fields[f];
    if (Array.isArray(list)) list.forEach((ref: PromptRef, i) => checkPrompt(ref, languages, ctx, at(f, i), add));
  }
  for (const f of PROMPT_SINGLES) {
    const id = fields[f];
    if (typeof id === 'string') checkPrompt(id, languages, ctx, at(f), add);
  }
}

function checkPrompt(ref: PromptRef, languages: readonly string[], ctx: ReferenceContext, path: PathSegment[], add: Add): void {
  if (typeof ref === 'string') {
    checkId(ref, languages, ctx, path, add);
    return;
  }
  for (const [lang, id] of Object.entries(ref)) {
    // A language outside `languages` is never chosen: most likely a typo of one that is.
    if (!languages.includes(lang)) add('FLOW_REFERENCE', [...path, lang], `language "${lang}" is not in the flow's languages (${languages.join(', ')})`);
    else checkId(id, [lang], ctx, [...path, lang], add);
  }
}

function checkId(id: string, languages: readonly string[], ctx: ReferenceContext, path: PathSegment[], add: Add): void {
  if (id.startsWith('tone:')) return;
  if (id.startsWith('silence:')) {
    // The media engine refuses a pause without a length; say so now rather than mid-call.
    if (!/^silence:\d+$/.test(id) || Number(id.slice(8)) > 600_000) add('FLOW_SCHEMA', path, `"${id}" is not a pause: use silence:<ms>, up to 600000`);
    return;
  }
  if (id.startsWith('file:')) {
    const file = resolve(ctx.flowDir, id.slice(5));
    if (!existsSync(file)) add('FLOW_REFERENCE', path, `prompt file ${file} does not exist`);
    return;
  }
  const missing = languages.filter((lang) => !ctx.env.promptExists(id, lang));
  if (missing.length > 0) {
    add('FLOW_REFERENCE', path, `prompt "${id}" does not exist for language${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
}

function checkRegex(source: string, path: PathSegment[], add: Add): void {
  try {
    new RegExp(source);
  } catch (err) {
    add('FLOW_SCHEMA', path, `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Intl.DateTimeFormat throws RangeError for a zone it does not know. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function isRealDate(ymd: string): boolean {
  const d = new Date(`${ymd}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === ymd;
}
