/**
 * Skill expressions: which agents may take a contact.
 *
 *   internet >= 3 && lang == ru
 *   (internet >= 3 || l2 >= 5) && !trainee
 *   tv                       -- bare skill: level >= 1
 *
 * Grammar (lowest precedence first):
 *   or      := and (('||' | 'or') and)*
 *   and     := unary (('&&' | 'and') unary)*
 *   unary   := ('!' | 'not') unary | primary
 *   primary := '(' or ')' | 'true' | 'lang' ('=='|'!=') NAME | NAME [op NUMBER]
 *   op      := '>=' | '<=' | '>' | '<' | '==' | '!='
 *
 * An agent's missing skill has level 0. Expressions compile once to a closure,
 * so evaluating one on the routing path is a few property reads.
 */
import { AcdError } from './errors.ts';

export type ComparisonOp = '>=' | '<=' | '>' | '<' | '==' | '!=';

export type SkillExpression =
  | { kind: 'true' }
  | { kind: 'skill'; skill: string; op: ComparisonOp; level: number }
  | { kind: 'lang'; op: '==' | '!='; language: string }
  | { kind: 'not'; operand: SkillExpression }
  | { kind: 'and'; operands: SkillExpression[] }
  | { kind: 'or'; operands: SkillExpression[] };

/** What an expression is evaluated against. */
export interface SkillSubject {
  readonly skills: ReadonlyMap<string, number>;
  readonly languages: ReadonlySet<string>;
}

export type SkillPredicate = (subject: SkillSubject) => boolean;

const TOKEN = /\s*(\|\||&&|>=|<=|==|!=|[()!<>]|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new AcdError('ACD_BAD_EXPRESSION', `unexpected character ${JSON.stringify(text[pos])} at ${pos} in "${text}"`);
    tokens.push(m[1] as string);
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

const KEYWORDS: Record<string, string> = { and: '&&', or: '||', not: '!' };

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: string[],
    private readonly text: string,
  ) {}

  parse(): SkillExpression {
    if (this.tokens.length === 0) throw this.error('empty expression');
    const e = this.or();
    if (this.i < this.tokens.length) throw this.error(`unexpected "${this.tokens[this.i]}"`);
    return e;
  }

  private peek(): string | undefined {
    const t = this.tokens[this.i];
    return t !== undefined ? (KEYWORDS[t.toLowerCase()] ?? t) : undefined;
  }

  private next(): string {
    const t = this.peek();
    if (t === undefined) throw this.error('unexpected end');
    this.i++;
    return t;
  }

  private or(): SkillExpression {
    const operands = [this.and()];
    while (this.peek() === '||') {
      this.i++;
      operands.push(this.and());
    }
    return operands.length === 1 ? (operands[0] as SkillExpression) : { kind: 'or', operands };
  }

  private and(): SkillExpression {
    const operands = [this.unary()];
    while (this.peek() === '&&') {
      this.i++;
      operands.push(this.unary());
    }
    return operands.length === 1 ? (operands[0] as SkillExpression) : { kind: 'and', operands };
  }

  private unary(): SkillExpression {
    if (this.peek() === '!') {
      this.i++;
      return { kind: 'not', operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): SkillExpression {
    const t = this.next();
    if (t === '(') {
      const e = this.or();
      if (this.next() !== ')') throw this.error('expected ")"');
      return e;
    }
    if (!/^[A-Za-z_]/.test(t)) throw this.error(`expected a skill name, got "${t}"`);
    if (t === 'true') return { kind: 'true' };
    const op = this.peek();
    if (t === 'lang') {
      if (op !== '==' && op !== '!=') throw this.error('lang must be compared with == or !=');
      this.i++;
      const language = this.next();
      if (!/^[A-Za-z_]/.test(language)) throw this.error(`expected a language code, got "${language}"`);
      return { kind: 'lang', op, language };
    }
    if (op === '>=' || op === '<=' || op === '>' || op === '<' || op === '==' || op === '!=') {
      this.i++;
      const value = this.next();
      if (!/^\d/.test(value)) throw this.error(`expected a level number after "${t} ${op}", got "${value}"`);
      return { kind: 'skill', skill: t, op, level: Number(value) };
    }
    return { kind: 'skill', skill: t, op: '>=', level: 1 };
  }

  private error(what: string): AcdError {
    return new AcdError('ACD_BAD_EXPRESSION', `bad skill expression "${this.text}": ${what}`);
  }
}

export function parseSkillExpression(text: string): SkillExpression {
  return new Parser(tokenize(text), text).parse();
}

export function compileSkillExpression(e: SkillExpression): SkillPredicate {
  switch (e.kind) {
    case 'true':
      return () => true;
    case 'lang': {
      const { language } = e;
      return e.op === '==' ? (s) => s.languages.has(language) : (s) => !s.languages.has(language);
    }
    case 'skill': {
      const { skill, level } = e;
      const get = (s: SkillSubject): number => s.skills.get(skill) ?? 0;
      switch (e.op) {
        case '>=': return (s) => get(s) >= level;
        case '<=': return (s) => get(s) <= level;
        case '>': return (s) => get(s) > level;
        case '<': return (s) => get(s) < level;
        case '==': return (s) => get(s) === level;
        case '!=': return (s) => get(s) !== level;
      }
      break;
    }
    case 'not': {
      const inner = compileSkillExpression(e.operand);
      return (s) => !inner(s);
    }
    case 'and': {
      const parts = e.operands.map(compileSkillExpression);
      return (s) => parts.every((p) => p(s));
    }
    case 'or': {
      const parts = e.operands.map(compileSkillExpression);
      return (s) => parts.some((p) => p(s));
    }
  }
  throw new AcdError('ACD_BAD_EXPRESSION', 'unknown expression node');
}

/** Skill names an expression reads (used by highest-skill-first). */
export function referencedSkills(e: SkillExpression, into: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'skill':
      into.add(e.skill);
      break;
    case 'not':
      referencedSkills(e.operand, into);
      break;
    case 'and':
    case 'or':
      for (const o of e.operands) referencedSkills(o, into);
      break;
    default:
      break;
  }
  return into;
}

/**
 * The structured equivalent of an expression: every listed skill at least the
 * given level, and the language if given. `{skills: {internet: 3}, language: 'ru'}`.
 */
export function structuredRequirement(req: { skills?: Record<string, number>; language?: string }): SkillExpression {
  const operands: SkillExpression[] = [];
  for (const [skill, level] of Object.entries(req.skills ?? {})) operands.push({ kind: 'skill', skill, op: '>=', level });
  if (req.language) operands.push({ kind: 'lang', op: '==', language: req.language });
  if (operands.length === 0) return { kind: 'true' };
  return operands.length === 1 ? (operands[0] as SkillExpression) : { kind: 'and', operands };
}

export function formatSkillExpression(e: SkillExpression): string {
  switch (e.kind) {
    case 'true':
      return 'true';
    case 'lang':
      return `lang ${e.op} ${e.language}`;
    case 'skill':
      return `${e.skill} ${e.op} ${e.level}`;
    case 'not':
      return `!(${formatSkillExpression(e.operand)})`;
    case 'and':
      return e.operands.map((o) => (o.kind === 'or' ? `(${formatSkillExpression(o)})` : formatSkillExpression(o))).join(' && ');
    case 'or':
      return e.operands.map(formatSkillExpression).join(' || ');
  }
}
