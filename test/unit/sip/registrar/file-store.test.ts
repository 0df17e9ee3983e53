/**
 * Registrations survive a restart with the file store: written atomically,
 * read back with every field checked, a damaged file set aside.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../../src/acd/clock.ts';
import { FileBindingStore } from '../../../../src/sip/registrar/file-store.ts';
import { Registrar } from '../../../../src/sip/registrar/registrar.ts';
import { AOR, T0, ok, reg } from './helpers.ts';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hotline-registrar-'));
  file = join(dir, 'nested', 'bindings.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(clock: ManualClock, onError?: (e: Error) => void) {
  const store = new FileBindingStore({ path: file, debounceMs: 20, ...(onError ? { onError } : {}) });
  const registrar = new Registrar({ clock, store });
  await registrar.init();
  return { store, registrar };
}

describe('FileBindingStore', () => {
  it('bindings survive a restart (all fields), expired ones are dropped on the way back', async () => {
    const clock = new ManualClock(T0);
    const a = await start(clock);
    ok(
      await a.registrar.register(
        reg({
          expiresHeader: 3600,
          path: ['<sip:edge.example;lr;ob>'],
          source: { transport: 'tcp', address: '203.0.113.9', port: 50000, connectionId: 'c-1' },
          contacts: [{ uri: 'sip:op1@10.0.0.5;transport=tcp;ob', q: 0.7, instanceId: '<urn:uuid:1>', regId: 1 }],
        }),
      ),
    );
    ok(await a.registrar.register(reg({ callId: 'short', expiresHeader: 60, contacts: [{ uri: 'sip:op1@10.0.0.6' }] })));
    ok(await a.registrar.register(reg({ aor: 'sip:op2@hotline.example' })));
    const before = a.registrar.lookup(AOR);
    await a.store.close();

    clock.advance(120_000); // the 60 s binding expires while we are "down"
    const b = await start(clock);
    expect(b.registrar.lookup(AOR)).toEqual(before.filter((x) => x.callId !== 'short'));
    expect(b.registrar.lookup('sip:op2@hotline.example')).toHaveLength(1);
    expect(b.registrar.count()).toBe(2);

    // The binding restored from disk still obeys the CSeq rule.
    expect(await b.registrar.register(reg({ cseq: 1, contacts: [{ uri: 'sip:op1@10.0.0.5;transport=tcp;ob', instanceId: '<urn:uuid:1>', regId: 1 }] }))).toEqual({
      status: 400,
      reason: 'Out of order CSeq',
    });
    await b.store.close();
  });

  it('writes are debounced, happen without an explicit flush, and leave no temp files', async () => {
    const clock = new ManualClock(T0);
    const { registrar, store } = await start(clock);
    for (let i = 1; i <= 20; i++) await registrar.register(reg({ cseq: i }));
    await vi.waitFor(async () => {
      const doc = JSON.parse(await readFile(file, 'utf8')) as { version: number; bindings: Array<{ cseq: number }> };
      expect(doc.version).toBe(1);
      expect(doc.bindings.map((b) => b.cseq)).toEqual([20]);
    });
    await store.close();
    expect(await readdir(join(dir, 'nested'))).toEqual(['bindings.json']);
  });

  it('removals reach the file too', async () => {
    const clock = new ManualClock(T0);
    const a = await start(clock);
    await a.registrar.register(reg());
    await a.registrar.register(reg({ aor: 'sip:op2@hotline.example' }));
    await a.store.flush();
    await a.registrar.register(reg({ cseq: 2, contacts: '*', expiresHeader: 0 }));
    await a.store.close();
    const b = await start(clock);
    expect(b.registrar.lookup(AOR)).toEqual([]);
    expect(b.registrar.count()).toBe(1);
  });

  it('a file that is not ours is moved aside and the registrar starts empty', async () => {
    await mkdir(join(dir, 'nested'), { recursive: true });
    await writeFile(file, '{"version": 1, "bindings": [ broken');
    const errors: Error[] = [];
    const { registrar, store } = await start(new ManualClock(T0), (e) => errors.push(e));
    expect(registrar.count()).toBe(0);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['REG_STORE_CORRUPT']);
    expect(await readFile(`${file}.corrupt`, 'utf8')).toContain('broken');
    await store.close();
  });

  it('malformed entries are skipped one by one, good ones kept', async () => {
    const clock = new ManualClock(T0);
    const a = await start(clock);
    await a.registrar.register(reg());
    await a.store.close();
    const doc = JSON.parse(await readFile(file, 'utf8')) as { bindings: unknown[] };
    doc.bindings.push({ aor: AOR, contact: 'sip:x@y', expiresAt: 'tomorrow' }, null, { ...(doc.bindings[0] as object), contact: 'sip:op1@10.0.0.7', source: { transport: 'carrier-pigeon', address: 'x', port: 1 } });
    await writeFile(file, JSON.stringify(doc));
    const errors: Error[] = [];
    const b = await start(clock, (e) => errors.push(e));
    expect(b.registrar.lookup(AOR).map((x) => x.contact)).toEqual(['sip:op1@10.0.0.5:5060;transport=udp']);
    expect(errors[0]?.message).toContain('skipped 3');
    await b.store.close();
  });

  it('a missing file is an empty store', async () => {
    const store = new FileBindingStore({ path: join(dir, 'none.json') });
    expect(await store.load()).toEqual([]);
    await store.close();
  });
});
