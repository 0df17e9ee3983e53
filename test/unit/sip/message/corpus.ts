/**
 * Where the RFC 4475 / RFC 5118 torture messages live, read in place: they
 * are IETF Trust material kept in ../shared beside the repository (see
 * ../shared/HARNESS.md), never copied into the project.
 *
 * RFC 5118 archive quirks (../shared/testdata/rfc4475/SOURCES.md): LF line
 * endings instead of CRLF; the two §4.10 messages lack the empty line ending
 * the header section; ipv6-in-sdp says Content-Length 268 for a 242-octet LF
 * body and mult-ip-in-sdp says 181 for 180. toWireForm() turns a file into
 * the message the RFC describes: CRLF, closed header section, true
 * Content-Length.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The corpus folder: HOTLINE_RFC4475_DIR, else ../shared/testdata/rfc4475 beside the repo. */
export const CORPUS_DIR = process.env.HOTLINE_RFC4475_DIR ?? path.resolve(repoRoot, '../shared/testdata/rfc4475');

/** Throws, naming the place it looked, when the corpus is missing: the tests must fail, not skip. */
export function assertCorpus(): void {
  if (!existsSync(CORPUS_DIR) || !existsSync(path.join(CORPUS_DIR, 'wsinv.dat'))) {
    throw new Error(
      `RFC 4475 corpus NOT FOUND at ${CORPUS_DIR} — set HOTLINE_RFC4475_DIR or check out ../shared/testdata/rfc4475 beside the repository (see ../shared/HARNESS.md). These conformance tests must run.`,
    );
  }
}

export function readCorpus(file: string): Buffer {
  assertCorpus();
  return readFileSync(path.join(CORPUS_DIR, file));
}

export function listCorpus(sub = ''): string[] {
  assertCorpus();
  return readdirSync(path.join(CORPUS_DIR, sub))
    .filter((f) => f.endsWith('.dat'))
    .sort();
}

/** LF → CRLF, header section closed by an empty line, Content-Length set to the body's real length. */
export function toWireForm(lf: Buffer): Buffer {
  const text = lf.toString('latin1');
  const split = text.indexOf('\n\n');
  const headText = split >= 0 ? text.slice(0, split) : text.replace(/\n+$/, '');
  const bodyText = split >= 0 ? text.slice(split + 2) : '';
  const body = Buffer.from(bodyText.replace(/\r?\n/g, '\r\n'), 'latin1');
  const lines = headText.split('\n').map((line) => (/^content-length\s*:/i.test(line) ? `Content-Length: ${body.length}` : line));
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}
