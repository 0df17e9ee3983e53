/**
 * Digest credentials and challenges as typed objects, on top of the generic
 * auth-param parser; and their formatting (RFC 7616 §3.3, §3.4; RFC 3261
 * §25.1 "credentials", "challenge").
 */
import { DIGEST_HEX_LENGTH, type DigestAlgorithm } from './hash.ts';
import { AuthError } from './errors.ts';
import { parseAuthItems, type AuthItem, type AuthParam } from './params.ts';

/** An Authorization / Proxy-Authorization value with the Digest scheme. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  /** digest-uri as the client wrote it. */
  uri: string;
  /** request-digest, lower-cased hex. */
  response: string;
  /** As sent; undefined when absent (which means MD5, RFC 7616 §3.4). */
  algorithm: string | undefined;
  /** Lower-cased; undefined for the RFC 2069 form. */
  qop: string | undefined;
  /** 8 hex digits, lower-cased; present whenever qop is. */
  nc: string | undefined;
  /** Present whenever qop is. */
  cnonce: string | undefined;
  opaque: string | undefined;
  /** RFC 7616 §3.4.4: the username is hashed. hotline never offers it. */
  userhash: boolean;
  /** Every parameter, names lower-cased (for extensions and logging). */
  params: ReadonlyMap<string, AuthParam>;
}

/** A WWW-Authenticate / Proxy-Authenticate value with the Digest scheme. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  /** As sent; undefined means MD5. */
  algorithm: string | undefined;
  /** qop-options, lower-cased; empty for an RFC 2069 challenge. */
  qop: string[];
  stale: boolean;
  params: ReadonlyMap<string, AuthParam>;
}

const HEX = /^[0-9a-fA-F]+$/;
const NC = /^[0-9a-fA-F]{8}$/;

function isDigest(item: AuthItem): boolean {
  return item.scheme.toLowerCase() === 'digest';
}

function value(item: AuthItem, name: string): string | undefined {
  return item.params.get(name)?.value;
}

function required(item: AuthItem, name: string): string {
  const v = value(item, name);
  if (v === undefined) throw new AuthError('AUTH_MISSING_PARAM', `Digest credentials without "${name}"`);
  return v;
}

/**
 * RFC 8187 ext-value for username* (RFC 7616 §3.4.4): UTF-8''percent-encoded.
 * Only UTF-8 is accepted; the language tag is ignored.
 */
function decodeExtValue(raw: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(raw);
  if (m === null || m[1]?.toLowerCase() !== 'utf-8') throw new AuthError('AUTH_BAD_PARAM', 'username* must be UTF-8\'\'<percent-encoded>');
  const encoded = m[2] ?? '';
  if (!/^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-Fa-f]{2})*$/.test(encoded)) throw new AuthError('AUTH_BAD_PARAM', 'bad character in username*');
  const bytes = Buffer.from(encoded.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new AuthError('AUTH_BAD_PARAM', 'username* is not valid UTF-8', { cause });
  }
}

function username(item: AuthItem): string {
  const plain = value(item, 'username');
  const ext = value(item, 'username*');
  if (plain !== undefined && ext !== undefined) throw new AuthError('AUTH_BAD_PARAM', 'both username and username* given (RFC 7616 §3.4)');
  if (ext !== undefined) return decodeExtValue(ext);
  if (plain === undefined) throw new AuthError('AUTH_MISSING_PARAM', 'Digest credentials without "username"');
  return plain;
}

/** Parse an Authorization / Proxy-Authorization value. Throws AuthError only. */
export function parseDigestCredentials(header: string): DigestCredentials {
  const items = parseAuthItems(header);
  const item = items[0];
  if (item === undefined) throw new AuthError('AUTH_SYNTAX', 'empty credentials');
  if (!isDigest(item)) throw new AuthError('AUTH_UNSUPPORTED_SCHEME', 'only the Digest scheme is supported');
  if (items.length > 1) throw new AuthError('AUTH_SYNTAX', 'more than one set of credentials in one header value');
  if (item.token68 !== undefined) throw new AuthError('AUTH_SYNTAX', 'Digest credentials must be auth-params');

  const response = required(item, 'response');
  if (!HEX.test(response)) throw new AuthError('AUTH_BAD_PARAM', 'response is not hex');

  // RFC 7616 §3.4: with a qop, cnonce and nc MUST be present; without one they MUST NOT, and are ignored.
  const qop = value(item, 'qop')?.toLowerCase();
  let nc: string | undefined;
  let cnonce: string | undefined;
  if (qop !== undefined) {
    nc = required(item, 'nc');
    cnonce = required(item, 'cnonce');
    if (!NC.test(nc)) throw new AuthError('AUTH_BAD_PARAM', 'nc must be 8 hex digits');
    nc = nc.toLowerCase();
  }
  return {
    username: username(item),
    realm: required(item, 'realm'),
    nonce: required(item, 'nonce'),
    uri: required(item, 'uri'),
    response: response.toLowerCase(),
    algorithm: value(item, 'algorithm'),
    qop,
    nc,
    cnonce,
    opaque: value(item, 'opaque'),
    userhash: value(item, 'userhash')?.toLowerCase() === 'true',
    params: item.params,
  };
}

/** The Digest challenges of a WWW-Authenticate / Proxy-Authenticate value; other schemes and incomplete ones are skipped. Throws AuthError on bad syntax. */
export function parseDigestChallenges(header: string): DigestChallenge[] {
  const out: DigestChallenge[] = [];
  for (const item of parseAuthItems(header)) {
    if (!isDigest(item)) continue;
    const realm = value(item, 'realm');
    const nonce = value(item, 'nonce');
    if (realm === undefined || nonce === undefined) continue;
    const qop = value(item, 'qop');
    out.push({
      realm,
      nonce,
      opaque: value(item, 'opaque'),
      algorithm: value(item, 'algorithm'),
      qop: qop === undefined ? [] : qop.split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== ''),
      stale: value(item, 'stale')?.toLowerCase() === 'true',
      params: item.params,
    });
  }
  return out;
}

/** quoted-string with `\` and `"` escaped. Refuses control characters: a CR/LF here would inject a header. */
export function quoteString(v: string): string {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(v)) throw new AuthError('AUTH_UNSAFE_VALUE', 'control character in a value to quote');
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface ChallengeFields {
  realm: string;
  nonce: string;
  opaque?: string | undefined;
  algorithm: DigestAlgorithm;
  /** 'auth' (the default) or false for an RFC 2069 challenge. */
  qop?: 'auth' | false;
  stale?: boolean;
}

/** One WWW-Authenticate value (RFC 7616 §3.3). */
export function formatChallenge(c: ChallengeFields): string {
  const parts = [`realm=${quoteString(c.realm)}`, `nonce=${quoteString(c.nonce)}`];
  if (c.opaque !== undefined) parts.push(`opaque=${quoteString(c.opaque)}`);
  parts.push(`algorithm=${c.algorithm}`);
  if (c.qop !== false) parts.push('qop="auth"');
  if (c.stale === true) parts.push('stale=true');
  return `Digest ${parts.join(', ')}`;
}

export interface CredentialFields {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  opaque?: string | undefined;
  /** With qop=auth: both required. */
  qop?: 'auth' | undefined;
  cnonce?: string | undefined;
  nc?: string | undefined;
}

/** One Authorization value (RFC 7616 §3.4). qop, nc and algorithm are tokens, the rest quoted. */
export function formatCredentials(c: CredentialFields): string {
  if (c.response.length !== DIGEST_HEX_LENGTH[c.algorithm]) throw new AuthError('AUTH_BAD_PARAM', 'response length does not match the algorithm');
  const parts = [
    `username=${quoteString(c.username)}`,
    `realm=${quoteString(c.realm)}`,
    `nonce=${quoteString(c.nonce)}`,
    `uri=${quoteString(c.uri)}`,
    `response=${quoteString(c.response)}`,
    `algorithm=${c.algorithm}`,
  ];
  if (c.qop === 'auth') {
    if (c.cnonce === undefined || c.nc === undefined || !NC.test(c.nc)) throw new AuthError('AUTH_BAD_PARAM', 'qop=auth needs cnonce and an 8-hex-digit nc');
    parts.push(`cnonce=${quoteString(c.cnonce)}`);
  }
  if (c.opaque !== undefined) parts.push(`opaque=${quoteString(c.opaque)}`);
  if (c.qop === 'auth') parts.push('qop=auth', `nc=${c.nc ?? ''}`);
  return `Digest ${parts.join(', ')}`;
}
