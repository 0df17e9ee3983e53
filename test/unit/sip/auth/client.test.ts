import { describe, expect, it } from 'vitest';
import { answerChallenge } from '../../../../src/sip/auth/client.ts';
import { digestResponse, ha1 } from '../../../../src/sip/auth/hash.ts';
import { AuthError } from '../../../../src/sip/auth/errors.ts';
import { parseDigestCredentials } from '../../../../src/sip/auth/header.ts';

const base = { method: 'REGISTER', uri: 'sip:pbx.example.com', username: 'alice', password: 'secret' };

describe('answerChallenge', () => {
  it('answers an RFC 2069 challenge (no qop) with MD5 and no nc/cnonce', () => {
    const header = answerChallenge({ ...base, challenge: 'Digest realm="pbx", nonce="abc"' });
    const c = parseDigestCredentials(header);
    expect(c.qop).toBeUndefined();
    expect(header).not.toMatch(/cnonce|nc=/);
    expect(c.response).toBe(
      digestResponse({ algorithm: 'MD5', ha1: ha1('MD5', 'alice', 'pbx', 'secret'), method: 'REGISTER', uri: base.uri, nonce: 'abc', qop: undefined }),
    );
  });

  it('formats nc as 8 hex digits and echoes opaque', () => {
    const header = answerChallenge({ ...base, challenge: 'Digest realm="pbx", nonce="n", opaque="o", qop="auth", algorithm=SHA-256', nc: 26 });
    expect(parseDigestCredentials(header)).toMatchObject({ nc: '0000001a', opaque: 'o', algorithm: 'SHA-256' });
  });

  it('escapes quotes and backslashes in the username', () => {
    const header = answerChallenge({ ...base, username: 'a"b\\c', challenge: 'Digest realm="pbx", nonce="n", qop="auth"' });
    expect(parseDigestCredentials(header).username).toBe('a"b\\c');
  });

  it('refuses challenges it cannot answer', () => {
    const cases = [
      'Basic realm="x"',
      'Digest realm="pbx", nonce="n", algorithm=MD5-sess, qop="auth"',
      'Digest realm="pbx", nonce="n", qop="auth-int"',
      'Digest realm="pbx", nonce="n", algorithm=SHA-256', // SHA-256 without qop is not a thing
    ];
    for (const challenge of cases) {
      expect(() => answerChallenge({ ...base, challenge })).toThrow(expect.objectContaining({ code: 'AUTH_NO_USABLE_CHALLENGE' }) as AuthError);
    }
  });

  it('refuses a username that would inject a header line', () => {
    expect(() => answerChallenge({ ...base, username: 'a\r\nVia: x', challenge: 'Digest realm="pbx", nonce="n"' })).toThrow(AuthError);
  });
});
