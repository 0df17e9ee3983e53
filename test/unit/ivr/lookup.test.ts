import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlow } from '../../../src/ivr/interpreter.ts';
import { FakeCall, flowOf } from './fake-call.ts';

/** A small CRM on 127.0.0.1: answers by path; /slow never answers. */
let server: Server;
let base = '';
const requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
let onSlow: () => void = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '').split('?')[0];
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (path === '/subscriber') json(200, { subscriber: { area: 'north', name: 'Ivan', tariff: { id: 'vip' } }, balance: -12.5, active: true, tags: ['a', 'b'] });
      else if (path === '/tickets') json(201, { ticket: { id: 77 }, echo: JSON.parse(body) as unknown });
      else if (path === '/down') json(503, { error: 'maintenance' });
      else if (path === '/missing') json(404, {});
      else if (path === '/html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>gateway error</html>');
      else if (path === '/slow') onSlow();
      else json(500, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const lookup = (fields: string) =>
  flowOf(`start: lookup
nodes:
  lookup: { kind: lookup, ${fields}, next: found, onError: failed }
  found: { kind: hangup }
  failed: { kind: hangup }
`);

async function walk(fields: string, vars: Record<string, string> = {}) {
  const call = new FakeCall(lookup(fields));
  for (const [k, v] of Object.entries(vars)) call.vars.set(k, v);
  const end = await runFlow(call);
  return { call, end };
}

describe('lookup', () => {
  it('copies scalar fields of the answer into variables by dotted path', async () => {
    const assign = '{ area: subscriber.area, name: subscriber.name, tariff: subscriber.tariff.id, balance: balance, active: active, firstTag: tags.0, nope: subscriber.nope, whole: subscriber }';
    const { call, end } = await walk(`url: "${base}/subscriber?contract=\${contract}", assign: ${assign}`, { contract: '123456' });
    expect(end).toEqual({ ended: 'flow-end', at: 'found' });
    expect(call.vars.get('area')).toBe('north');
    expect(call.vars.get('name')).toBe('Ivan');
    expect(call.vars.get('tariff')).toBe('vip');
    expect(call.vars.get('balance')).toBe(-12.5);
    expect(call.vars.get('active')).toBe(true);
    expect(call.vars.get('firstTag')).toBe('a');
    expect(call.vars.has('nope')).toBe(false); // not in the answer
    expect(call.vars.has('whole')).toBe(false); // an object is not a variable value
    expect(requests.at(-1)).toMatchObject({ method: 'GET', url: '/subscriber?contract=123456' });
    expect(requests.at(-1)?.headers['accept']).toBe('application/json');
  });

  it('URL-encodes the variables it puts into the URL', async () => {
    await walk(`url: "${base}/subscriber?contract=\${contract}&area=\${area}"`, { contract: '12 34&x=1' });
    expect(requests.at(-1)?.url).toBe('/subscriber?contract=12%2034%26x%3D1&area=');
  });

  it('POSTs a JSON body with templated strings (not URL-encoded) and the given headers', async () => {
    const { call, end } = await walk(
      `method: POST, url: "${base}/tickets", headers: { x-api-key: secret }, body: { contract: "\${contract}", note: "caller \${caller}", urgent: true, level: 2 }, assign: { ticket: ticket.id }`,
      { contract: '12 34' },
    );
    expect(end.at).toBe('found');
    const req = requests.at(-1);
    expect(req?.method).toBe('POST');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-api-key']).toBe('secret');
    expect(JSON.parse(req?.body ?? '')).toEqual({ contract: '12 34', note: `caller ${call.caller}`, urgent: true, level: 2 });
    expect(call.vars.get('ticket')).toBe(77);
  });

  it.each([
    ['a server error (503)', '/down'],
    ['not found (404)', '/missing'],
    ['an answer that is not JSON', '/html'],
  ])('takes onError on %s and sets no variable', async (_, path) => {
    const { call, end } = await walk(`url: "${base}${path}", assign: { error: error }`);
    expect(end).toEqual({ ended: 'flow-end', at: 'failed' });
    expect(call.vars.has('error')).toBe(false);
    expect(call.events.find((e) => e.type === 'lookup')?.data).toHaveProperty('error');
  });

  it('takes onError when the server does not answer in time', async () => {
    // The one real wait here: 50 ms of the node's own timeout, against a server that never answers.
    const arrived = new Promise<void>((resolve) => (onSlow = resolve));
    const { end } = await walk(`url: "${base}/slow", timeout: 0.05`);
    await arrived;
    expect(end).toEqual({ ended: 'flow-end', at: 'failed' });
  });

  it('takes onError when nothing listens on the port', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { end } = await walk(`url: "http://127.0.0.1:${port}/subscriber"`);
    expect(end.at).toBe('failed');
  });

  it('ends the walk at once when the caller hangs up while waiting for the answer', async () => {
    const call = new FakeCall(lookup(`url: "${base}/slow", timeout: 30`));
    onSlow = () => call.hangUp();
    expect(await runFlow(call)).toEqual({ ended: 'caller-hangup', at: 'lookup' });
  });
});
