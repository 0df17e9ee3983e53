/**
 * The auth-param parser on odd-but-valid input (what real phones send) and on
 * hostile input (what scanners send): it must return the right values or
 * throw an AuthError — never anything else, never hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../../src/sip/auth/errors.ts';
import { parseDigestChallenges, parseDigestCredentials, quoteString } from '../../../../src/sip/auth/header.ts';
import { MAX_AUTH_HEADER_LENGTH, parseAuthItems } from '../../../../src/sip/auth/params.ts';

const RESP = '0123456789abcdef0123456789abcdef';
const minimal = `Digest username="bob", realm="r", nonce="n", uri="sip:x", response="${RESP}"`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof AuthError) return e.code;
    throw e;
  }
  return 'ok';
}

describe('odd but valid', () => {
  it('case-insensitive scheme and names, values keep their case', () => {
    const c = parseDigestCredentials(`dIgEsT USERNAME="Bob", Realm="R", NONCE="N", Uri="sip:X", RESPONSE="${RESP.toUpperCase()}"`);
    expect(c).toMatchObject({ username: 'Bob', realm: 'R', nonce: 'N', uri: 'sip:X', response: RESP });
  });

  it('extra whitespace, tabs, folded lines and empty list elements', () => {
    const c = parseDigestCredentials(`Digest \t username = "bob" ,,\r\n\trealm=  "r",\n nonce="n" , uri="sip:x",response="${RESP}" ,  `);
    expect(c).toMatchObject({ username: 'bob', realm: 'r', nonce: 'n', uri: 'sip:x' });
  });

  it('commas, equals signs and escapes inside quoted strings', () => {
    const c = parseDigestCredentials(`Digest username="a,b=c \\"d\\" \\\\e", realm="r", nonce="n,=", uri="sip:x;a=b,c", response="${RESP}"`);
    expect(c.username).toBe('a,b=c "d" \\e');
    expect(c.nonce).toBe('n,=');
    expect(c.uri).toBe('sip:x;a=b,c');
  });

  it('quoted and unquoted forms of qop, nc and algorithm (clients do both)', () => {
    const c = parseDigestCredentials(`${minimal}, algorithm="MD5", qop="auth", nc="0000000A", cnonce=xyz`);
    expect(c).toMatchObject({ algorithm: 'MD5', qop: 'auth', nc: '0000000a', cnonce: 'xyz' });
  });

  it('UTF-8 in quoted strings and username* (RFC 7616 §3.4.4)', () => {
    expect(parseDigestCredentials(minimal.replace('"bob"', '"Jäsøn Doe"')).username).toBe('Jäsøn Doe');
    const star = minimal.replace('username="bob"', "username*=UTF-8''J%C3%A4s%C3%B8n%20Doe");
    expect(parseDigestCredentials(star).username).toBe('Jäsøn Doe');
  });

  it('several challenges in one value, other schemes and token68 skipped', () => {
    const cs = parseDigestChallenges('Negotiate abc==, Digest realm="a", nonce="1", algorithm=SHA-256, qop="auth", Basic realm="x", Digest realm="a", nonce="2", stale=TRUE');
    expect(cs.map((c) => [c.nonce, c.algorithm, c.stale])).toEqual([
      ['1', 'SHA-256', false],
      ['2', undefined, true],
    ]);
  });

  it('unknown parameters are kept', () => {
    expect(parseDigestCredentials(`${minimal}, x-foo=bar`).params.get('x-foo')?.value).toBe('bar');
  });
});

describe('invalid and hostile', () => {
  it.each([
    ['empty', '', 'AUTH_SYNTAX'],
    ['Basic', 'Basic dXNlcjpwYXNz', 'AUTH_UNSUPPORTED_SCHEME'],
    ['duplicate param', `${minimal}, REALM="r2"`, 'AUTH_DUPLICATE_PARAM'],
    ['missing response', 'Digest username="bob", realm="r", nonce="n", uri="sip:x"', 'AUTH_MISSING_PARAM'],
    ['missing username', `Digest realm="r", nonce="n", uri="sip:x", response="${RESP}"`, 'AUTH_MISSING_PARAM'],
    ['qop without nc', `${minimal}, qop=auth, cnonce="c"`, 'AUTH_MISSING_PARAM'],
    ['qop without cnonce', `${minimal}, qop=auth, nc=00000001`, 'AUTH_MISSING_PARAM'],
    ['nc not 8 hex', `${minimal}, qop=auth, nc=1, cnonce="c"`, 'AUTH_BAD_PARAM'],
    ['response not hex', minimal.replace(RESP, 'zz'), 'AUTH_BAD_PARAM'],
    ['username and username*', `${minimal}, username*=UTF-8''bob`, 'AUTH_BAD_PARAM'],
    ['username* not UTF-8', minimal.replace('username="bob"', "username*=ISO-8859-1''b%E4r"), 'AUTH_BAD_PARAM'],
    ['username* bad bytes', minimal.replace('username="bob"', "username*=UTF-8''%FF%FE"), 'AUTH_BAD_PARAM'],
    ['unterminated quote', 'Digest username="bob', 'AUTH_SYNTAX'],
    ['escape at the end', 'Digest username="bob\\', 'AUTH_SYNTAX'],
    ['missing comma', 'Digest username="bob" realm="r"', 'AUTH_SYNTAX'],
    ['missing value', 'Digest username=, realm="r"', 'AUTH_SYNTAX'],
    ['param before scheme', 'username="bob", Digest realm="r"', 'AUTH_SYNTAX'],
    ['no space after scheme', 'Digest"x"', 'AUTH_SYNTAX'],
    ['bare CR', 'Digest username="b\rob"', 'AUTH_SYNTAX'],
    ['CRLF not followed by space', 'Digest username="bob",\r\nrealm="r"', 'AUTH_SYNTAX'],
    ['NUL in quoted string', 'Digest username="b\u0000ob"', 'AUTH_SYNTAX'],
    ['two credentials in one value', `${minimal}, Digest username="eve"`, 'AUTH_SYNTAX'],
    ['too long', `${minimal}, x="${'a'.repeat(MAX_AUTH_HEADER_LENGTH)}"`, 'AUTH_TOO_LONG'],
  ])('%s → %s', (_name, header, expected) => {
    expect(code(() => parseDigestCredentials(header))).toBe(expected);
  });

  it('quoteString refuses CR/LF (header injection)', () => {
    expect(code(() => quoteString('a\r\nb'))).toBe('AUTH_UNSAFE_VALUE');
  });

  it('a long run of escapes or commas parses in linear time', () => {
    const t0 = performance.now();
    expect(code(() => parseAuthItems(`Digest a="${'\\"'.repeat(4000)}"`))).toBe('ok');
    expect(code(() => parseAuthItems(`Digest ${','.repeat(8000)}`))).toBe('ok');
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('properties', () => {
  const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary-ascii', maxLength: 300 }));

  it('arbitrary input: a value or an AuthError, nothing else', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        for (const fn of [() => parseDigestCredentials(s), () => parseDigestChallenges(s), () => parseAuthItems(s)]) {
          try {
            fn();
          } catch (e) {
            if (!(e instanceof AuthError)) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid header with random bytes inserted: a value or an AuthError', () => {
    const header = `${minimal}, qop=auth, nc=00000001, cnonce="c,x", opaque="o"`;
    fc.assert(
      fc.property(fc.nat({ max: header.length }), fc.string({ unit: 'binary', minLength: 1, maxLength: 5 }), (at, junk) => {
        try {
          parseDigestCredentials(header.slice(0, at) + junk + header.slice(at));
        } catch (e) {
          if (!(e instanceof AuthError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('formatted params come back unchanged, whatever the whitespace and quoting', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    // Any text without control characters survives quoting (including ", \, comma, UTF-8).
    const text = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(s));
    const ws = fc.constantFrom('', ' ', '  ', '\t', '\r\n ', '\n\t');
    const params = fc.uniqueArray(fc.tuple(name, text, ws, ws), { selector: (p) => p[0], minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(params, ws, (ps, lead) => {
        const header = `Digest ${lead}${ps.map(([n, v, a, b]) => `${n}${a}=${b}${quoteString(v)}`).join(`${lead},${lead}`)}`;
        const [item] = parseAuthItems(header);
        for (const [n, v] of ps) expect(item?.params.get(n)?.value).toBe(v);
        expect(item?.params.size).toBe(ps.length);
      }),
      { numRuns: 500 },
    );
  });
});
