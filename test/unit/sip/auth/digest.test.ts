/**
 * The published examples: RFC 2617 §3.5 and RFC 7616 §3.9.1. If these hold,
 * our hashes agree with every conforming phone.
 */
import { describe, expect, it } from 'vitest';
import { answerChallenge } from '../../../../src/sip/auth/client.ts';
import { digestResponse, ha1 } from '../../../../src/sip/auth/hash.ts';
import { parseDigestChallenges, parseDigestCredentials } from '../../../../src/sip/auth/header.ts';

describe('RFC 2617 §3.5 example', () => {
  // The header exactly as printed in the RFC, folded lines included.
  const header = [
    'Digest username="Mufasa",',
    '                 realm="testrealm@host.com",',
    '                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",',
    '                 uri="/dir/index.html",',
    '                 qop=auth,',
    '                 nc=00000001,',
    '                 cnonce="0a4f113b",',
    '                 response="6629fae49393a05397450978507c4ef1",',
    '                 opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  ].join('\r\n');

  it('parses the folded header', () => {
    const c = parseDigestCredentials(header);
    expect(c).toMatchObject({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      algorithm: undefined,
    });
  });

  it('computes response 6629fae49393a05397450978507c4ef1 for Mufasa / "Circle Of Life"', () => {
    const c = parseDigestCredentials(header);
    const response = digestResponse({
      algorithm: 'MD5',
      ha1: ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'),
      method: 'GET',
      uri: c.uri,
      nonce: c.nonce,
      qop: 'auth',
      nc: c.nc,
      cnonce: c.cnonce,
    });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
    expect(response).toBe(c.response);
  });
});

describe('RFC 7616 §3.9.1 examples', () => {
  const realm = 'http-auth@example.org';
  const nonce = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
  const opaque = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
  const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
  const challenge = (algorithm: string) =>
    `Digest\r\n       realm="${realm}",\r\n       qop="auth, auth-int",\r\n       algorithm=${algorithm},\r\n       nonce="${nonce}",\r\n       opaque="${opaque}"`;
  const md5 = '8ca523f5e9506fed4657c9700eebdbec';
  const sha256 = '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1';

  it.each([
    ['MD5', md5],
    ['SHA-256', sha256],
  ] as const)('%s response', (algorithm, expected) => {
    const response = digestResponse({
      algorithm,
      ha1: ha1(algorithm, 'Mufasa', realm, 'Circle of Life'),
      method: 'GET',
      uri: '/dir/index.html',
      nonce,
      qop: 'auth',
      nc: '00000001',
      cnonce,
    });
    expect(response).toBe(expected);
  });

  it('parses both challenges, qop list included', () => {
    const [c] = parseDigestChallenges(challenge('SHA-256'));
    expect(c).toMatchObject({ realm, nonce, opaque, algorithm: 'SHA-256', qop: ['auth', 'auth-int'], stale: false });
  });

  it('answerChallenge picks SHA-256 when offered, whatever the order, and reproduces the RFC response', () => {
    const header = answerChallenge({
      challenge: [challenge('MD5'), challenge('SHA-256')],
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle of Life',
      cnonce,
      nc: 1,
    });
    const c = parseDigestCredentials(header);
    expect(c).toMatchObject({ algorithm: 'SHA-256', response: sha256, opaque, qop: 'auth', nc: '00000001', cnonce, realm, nonce });
  });

  it('answerChallenge falls back to MD5', () => {
    const header = answerChallenge({ challenge: challenge('MD5'), method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle of Life', cnonce });
    expect(parseDigestCredentials(header)).toMatchObject({ algorithm: 'MD5', response: md5 });
  });

  it('answerChallenge works from stored HA1 values too', () => {
    const header = answerChallenge({
      challenge: `${challenge('SHA-256')}, ${challenge('MD5')}`,
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      ha1: { MD5: ha1('MD5', 'Mufasa', realm, 'Circle of Life') },
      cnonce,
    });
    // Only an MD5 HA1 is held, so the MD5 challenge is the one answered.
    expect(parseDigestCredentials(header)).toMatchObject({ algorithm: 'MD5', response: md5 });
  });
});
