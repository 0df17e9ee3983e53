/**
 * Wire form of a message (RFC 3261 §7): start line, header lines, empty
 * line, body. Content-Length always states the body's real length (§20.14;
 * mandatory over stream transports, §18.3): an existing Content-Length line
 * keeps its place and spelling, a missing one is added last, duplicates are
 * dropped.
 */
import type { HeaderFieldsImpl } from './headers.ts';

export function serialize(startLine: string, headers: HeaderFieldsImpl, body: Buffer): Buffer {
  const { names, keys } = headers;
  let head = `${startLine}\r\n`;
  let lengthWritten = false;
  for (let i = 0; i < names.length; i++) {
    if (keys[i] === 'content-length') {
      if (lengthWritten) continue;
      lengthWritten = true;
      head += `${names[i]!}: ${body.length}\r\n`;
    } else {
      head += `${names[i]!}: ${headers.value(i)}\r\n`;
    }
  }
  if (!lengthWritten) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, 'utf8');
  body.copy(out, headLength);
  return out;
}
