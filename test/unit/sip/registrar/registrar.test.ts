/**
 * REGISTER processing as phones exercise it (RFC 3261 §10.3 steps 6–8),
 * on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBindingStore } from '../../../../src/sip/registrar/memory-store.ts';
import { Registrar } from '../../../../src/sip/registrar/registrar.ts';
import { RegistrarError } from '../../../../src/sip/registrar/errors.ts';
import type { Binding, BindingStore, RegistrarEvent } from '../../../../src/sip/registrar/types.ts';
import { AOR, T0, ok, reg, setup } from './helpers.ts';

const S = 1000;

describe('register and lookup', () => {
  it('registers a contact and records where the REGISTER really came from', async () => {
    const { registrar } = await setup();
    expect(ok(await registrar.register(reg({ expiresHeader: 600 })))).toEqual([{ contact: 'sip:op1@10.0.0.5:5060;transport=udp', expires: 600, q: 1 }]);
    const [b] = registrar.lookup(AOR);
    expect(b).toMatchObject({
      aor: AOR,
      contact: 'sip:op1@10.0.0.5:5060;transport=udp',
      expiresAt: T0 + 600 * S,
      q: 1,
      callId: 'call-1@10.0.0.5',
      cseq: 1,
      source: { transport: 'udp', address: '203.0.113.9', port: 40112 },
      userAgent: 'baresip 3.10',
      updatedAt: T0,
      path: [],
    });
  });

  it('looks up any spelling of the AOR (host case, params, sips, escapes)', async () => {
    const { registrar } = await setup();
    await registrar.register(reg({ aor: 'sips:op1@HOTLINE.Example;transport=tls' }));
    for (const spelling of ['sip:op1@hotline.example', '<sip:%6Fp1@hotline.example>', 'sip:op1@hotline.example;user=phone']) {
      expect(registrar.lookup(spelling)).toHaveLength(1);
    }
    expect(registrar.lookup('sip:OP1@hotline.example')).toHaveLength(0); // the user part is case-sensitive
    expect(registrar.lookup('not a uri')).toEqual([]);
  });

  it('rejects an AOR that is not a SIP URI with a user', async () => {
    const { registrar } = await setup();
    for (const aor of ['tel:+15551234', 'sip:hotline.example', 'mailto:a@b', '']) {
      expect(await registrar.register(reg({ aor }))).toEqual({ status: 400, reason: 'Invalid address-of-record' });
    }
  });

  it('keeps the Path and the flow (RFC 3327, RFC 5626)', async () => {
    const { registrar } = await setup();
    await registrar.register(
      reg({
        path: ['<sip:edge1.example;lr;ob>', '<sip:edge2.example;lr>'],
        source: { transport: 'tls', address: '198.51.100.4', port: 5061, connectionId: 'tls-17' },
        contacts: [{ uri: 'sip:op1@192.168.1.20:50600;transport=tls;ob', instanceId: '<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>', regId: 1 }],
      }),
    );
    expect(registrar.lookup(AOR)[0]).toMatchObject({
      path: ['<sip:edge1.example;lr;ob>', '<sip:edge2.example;lr>'],
      source: { transport: 'tls', address: '198.51.100.4', port: 5061, connectionId: 'tls-17' },
      instanceId: '<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>',
      regId: 1,
    });
  });

  it('an empty Contact list is a query: returns the bindings, changes nothing', async () => {
    const { registrar, clock } = await setup();
    await registrar.register(reg({ expiresHeader: 600 }));
    clock.advance(100 * S);
    expect(ok(await registrar.register(reg({ callId: 'other', cseq: 1, contacts: [] })))).toEqual([{ contact: 'sip:op1@10.0.0.5:5060;transport=udp', expires: 500, q: 1 }]);
    expect(registrar.lookup(AOR)[0]?.callId).toBe('call-1@10.0.0.5');
  });

  it('re-register refreshes the expiry; the 200 lists every binding with its own remaining time', async () => {
    const { registrar, clock } = await setup();
    await registrar.register(reg({ expiresHeader: 600, contacts: [{ uri: 'sip:op1@10.0.0.6' }], callId: 'desk' }));
    await registrar.register(reg({ expiresHeader: 600 }));
    clock.advance(300 * S);
    const bindings = ok(await registrar.register(reg({ cseq: 2, expiresHeader: 600 })));
    expect(bindings.map((b) => [b.contact, b.expires])).toEqual([
      ['sip:op1@10.0.0.5:5060;transport=udp', 600],
      ['sip:op1@10.0.0.6', 300],
    ]);
    expect(registrar.lookup(AOR)).toHaveLength(2);
    expect(registrar.count()).toBe(2);
  });

  it('several contacts: highest q first, then the most recently registered', async () => {
    const { registrar, clock } = await setup();
    await registrar.register(reg({ callId: 'a', contacts: [{ uri: 'sip:op1@10.0.0.1', q: 0.5 }] }));
    clock.advance(S);
    await registrar.register(reg({ callId: 'b', contacts: [{ uri: 'sip:op1@10.0.0.2', q: 1 }, { uri: 'sip:op1@10.0.0.3', q: 0.5 }] }));
    clock.advance(S);
    await registrar.register(reg({ callId: 'c', contacts: [{ uri: 'sip:op1@10.0.0.4' }] }));
    expect(registrar.lookup(AOR).map((b) => b.contact)).toEqual(['sip:op1@10.0.0.4', 'sip:op1@10.0.0.2', 'sip:op1@10.0.0.3', 'sip:op1@10.0.0.1']);
  });

  it('the Contact expires parameter wins over the Expires header; default when neither; capped at maxExpires', async () => {
    const { registrar } = await setup({ defaultExpires: 1800, maxExpires: 3600 });
    const r = ok(
      await registrar.register(
        reg({ expiresHeader: 900, contacts: [{ uri: 'sip:op1@10.0.0.1', expires: 120 }, { uri: 'sip:op1@10.0.0.2' }, { uri: 'sip:op1@10.0.0.3', expires: 86_400 }] }),
      ),
    );
    expect(Object.fromEntries(r.map((b) => [b.contact, b.expires]))).toEqual({ 'sip:op1@10.0.0.1': 120, 'sip:op1@10.0.0.2': 900, 'sip:op1@10.0.0.3': 3600 });
    const { registrar: r2 } = await setup({ defaultExpires: 1800 });
    expect(ok(await r2.register(reg()))[0]?.expires).toBe(1800);
  });

  it('rejects malformed values with 400', async () => {
    const { registrar } = await setup();
    const cases: Array<[Parameters<typeof reg>[0], string]> = [
      [{ callId: '' }, 'Invalid Call-ID'],
      [{ cseq: -1 }, 'Invalid CSeq'],
      [{ cseq: 2 ** 31 }, 'Invalid CSeq'],
      [{ expiresHeader: -5 }, 'Invalid Expires'],
      [{ expiresHeader: 1.5 }, 'Invalid Expires'],
      [{ contacts: [{ uri: 'sip:a@b', q: 1.5 }] }, 'Invalid q parameter'],
      [{ contacts: [{ uri: 'sip:a@b', expires: Number.NaN }] }, 'Invalid expires parameter'],
      [{ contacts: [{ uri: '' }] }, 'Invalid Contact URI'],
      [{ contacts: [{ uri: 'sip:a@b\r\nVia: x' }] }, 'Invalid Contact URI'],
      [{ contacts: [{ uri: 'sip:a@b', instanceId: '<urn:x>', regId: 0 }] }, 'Invalid reg-id'],
      [{ path: ['<sip:p;lr>', ''] }, 'Invalid Path'],
    ];
    for (const [over, reason] of cases) expect(await registrar.register(reg(over))).toEqual({ status: 400, reason });
    expect(registrar.count()).toBe(0);
  });
});

describe('removal', () => {
  it('expires=0 on a contact removes that binding only', async () => {
    const { registrar } = await setup();
    await registrar.register(reg({ contacts: [{ uri: 'sip:op1@10.0.0.1' }, { uri: 'sip:op1@10.0.0.2' }] }));
    expect(ok(await registrar.register(reg({ cseq: 2, contacts: [{ uri: 'sip:op1@10.0.0.1', expires: 0 }] }))).map((b) => b.contact)).toEqual(['sip:op1@10.0.0.2']);
    // Removing something that is not there is fine.
    expect(ok(await registrar.register(reg({ cseq: 3, contacts: [{ uri: 'sip:op1@10.9.9.9', expires: 0 }] })))).toHaveLength(1);
  });

  it('Expires: 0 header removes the listed contacts; zero is never "too brief"', async () => {
    const { registrar } = await setup({ minExpires: 60 });
    await registrar.register(reg());
    expect(ok(await registrar.register(reg({ cseq: 2, expiresHeader: 0 })))).toEqual([]);
    expect(registrar.count()).toBe(0);
  });

  it('Contact: * with Expires: 0 removes every binding of the AOR, from every Call-ID', async () => {
    const { registrar, store } = await setup();
    await registrar.register(reg({ callId: 'a', contacts: [{ uri: 'sip:op1@10.0.0.1' }] }));
    await registrar.register(reg({ callId: 'b', contacts: [{ uri: 'sip:op1@10.0.0.2' }] }));
    await registrar.register(reg({ aor: 'sip:op2@hotline.example' }));
    expect(ok(await registrar.register(reg({ callId: 'c', contacts: '*', expiresHeader: 0 })))).toEqual([]);
    expect(registrar.lookup(AOR)).toEqual([]);
    expect(registrar.lookup('sip:op2@hotline.example')).toHaveLength(1);
    expect((store as MemoryBindingStore).size).toBe(1);
  });

  it('Contact: * without Expires: 0, or with other contacts → 400', async () => {
    const { registrar } = await setup();
    await registrar.register(reg());
    expect(await registrar.register(reg({ cseq: 2, contacts: '*' }))).toEqual({ status: 400, reason: 'Contact * requires Expires: 0' });
    expect(await registrar.register(reg({ cseq: 2, contacts: '*', expiresHeader: 60 }))).toEqual({ status: 400, reason: 'Contact * requires Expires: 0' });
    expect(await registrar.register(reg({ cseq: 2, contacts: [{ uri: '*' }, { uri: 'sip:op1@10.0.0.1' }], expiresHeader: 0 }))).toEqual({
      status: 400,
      reason: 'Contact * must be the only Contact',
    });
    expect(registrar.lookup(AOR)).toHaveLength(1);
    // '*' passed as a one-element list works like '*'.
    expect(ok(await registrar.register(reg({ cseq: 2, contacts: [{ uri: '*' }], expiresHeader: 0 })))).toEqual([]);
  });

  it('Contact: * with the same Call-ID and a CSeq not higher → 400, nothing removed', async () => {
    const { registrar } = await setup();
    await registrar.register(reg({ cseq: 5 }));
    expect(await registrar.register(reg({ cseq: 5, contacts: '*', expiresHeader: 0 }))).toEqual({ status: 400, reason: 'Out of order CSeq' });
    expect(registrar.lookup(AOR)).toHaveLength(1);
  });
});

describe('Min-Expires', () => {
  it('0 < expires < minExpires → 423 with Min-Expires, nothing changed', async () => {
    const { registrar } = await setup({ minExpires: 60 });
    expect(await registrar.register(reg({ expiresHeader: 30 }))).toEqual({ status: 423, minExpires: 60 });
    expect(await registrar.register(reg({ contacts: [{ uri: 'sip:op1@10.0.0.1' }, { uri: 'sip:op1@10.0.0.2', expires: 59 }] }))).toEqual({ status: 423, minExpires: 60 });
    expect(registrar.count()).toBe(0);
    expect(ok(await registrar.register(reg({ expiresHeader: 60 })))[0]?.expires).toBe(60);
  });
});

describe('Call-ID and CSeq ordering (§10.3 step 7)', () => {
  it('same Call-ID: a higher CSeq updates, an equal or lower one fails with 400 "Out of order CSeq"', async () => {
    const { registrar } = await setup();
    await registrar.register(reg({ cseq: 10, expiresHeader: 600 }));
    expect(await registrar.register(reg({ cseq: 10, expiresHeader: 0 }))).toEqual({ status: 400, reason: 'Out of order CSeq' });
    expect(await registrar.register(reg({ cseq: 9, expiresHeader: 0 }))).toEqual({ status: 400, reason: 'Out of order CSeq' });
    expect(registrar.lookup(AOR)[0]?.cseq).toBe(10);
    ok(await registrar.register(reg({ cseq: 11, expiresHeader: 1200 })));
    expect(registrar.lookup(AOR)[0]).toMatchObject({ cseq: 11, expiresAt: T0 + 1200 * S });
  });

  it('a failed contact aborts the whole request (all-or-nothing)', async () => {
    const { registrar } = await setup();
    await registrar.register(reg({ cseq: 10, contacts: [{ uri: 'sip:op1@10.0.0.1' }] }));
    const r = await registrar.register(reg({ cseq: 10, contacts: [{ uri: 'sip:op1@10.0.0.2' }, { uri: 'sip:op1@10.0.0.1', expires: 0 }] }));
    expect(r).toEqual({ status: 400, reason: 'Out of order CSeq' });
    expect(registrar.lookup(AOR).map((b) => b.contact)).toEqual(['sip:op1@10.0.0.1']);
  });

  it('a new Call-ID for an existing contact replaces it whatever its CSeq (the phone rebooted)', async () => {
    const { registrar, clock } = await setup();
    await registrar.register(reg({ callId: 'before-reboot', cseq: 500 }));
    clock.advance(10 * S);
    ok(await registrar.register(reg({ callId: 'after-reboot', cseq: 1, source: { transport: 'udp', address: '203.0.113.9', port: 40999 } })));
    const all = registrar.lookup(AOR);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ callId: 'after-reboot', cseq: 1, source: { port: 40999 }, updatedAt: T0 + 10 * S });
  });

  it('the CSeq rule only concerns bindings that match: another contact of the same Call-ID is unaffected', async () => {
    const { registrar } = await setup();
    await registrar.register(reg({ cseq: 10, contacts: [{ uri: 'sip:op1@10.0.0.1' }] }));
    expect(ok(await registrar.register(reg({ cseq: 3, contacts: [{ uri: 'sip:op1@10.0.0.2' }] })))).toHaveLength(2);
  });

  it('Contact URIs equal by §19.1.4 are the same binding (case, escapes, param order)', async () => {
    const { registrar } = await setup();
    await registrar.register(reg({ contacts: [{ uri: 'sip:op1@PC.example:5060;transport=UDP;x=1' }] }));
    ok(await registrar.register(reg({ cseq: 2, contacts: [{ uri: 'sip:%6Fp1@pc.example:5060;x=1;transport=udp' }] })));
    expect(registrar.lookup(AOR).map((b) => b.contact)).toEqual(['sip:%6Fp1@pc.example:5060;x=1;transport=udp']);
    // ...but not a different port or user case.
    ok(await registrar.register(reg({ cseq: 3, contacts: [{ uri: 'sip:op1@pc.example;x=1;transport=udp' }, { uri: 'sip:OP1@pc.example:5060;x=1;transport=udp' }] })));
    expect(registrar.count()).toBe(3);
  });

  it('RFC 5626: same +sip.instance and reg-id replaces the flow even when the Contact URI changed', async () => {
    const { registrar, clock } = await setup();
    const inst = '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>';
    await registrar.register(reg({ contacts: [{ uri: 'sip:op1@192.168.1.2:5060;ob', instanceId: inst, regId: 1 }] }));
    await registrar.register(reg({ cseq: 2, contacts: [{ uri: 'sip:op1@192.168.1.2:5062;ob', instanceId: inst, regId: 2 }] }));
    clock.advance(S);
    // The NAT changed the port: the phone registers reg-id 1 again with a new Contact and a new Call-ID.
    ok(await registrar.register(reg({ callId: 'new', contacts: [{ uri: 'sip:op1@192.168.1.99:5060;ob', instanceId: inst.toUpperCase(), regId: 1 }] })));
    expect(registrar.lookup(AOR).map((b) => [b.contact, b.regId])).toEqual([
      ['sip:op1@192.168.1.99:5060;ob', 1],
      ['sip:op1@192.168.1.2:5062;ob', 2],
    ]);
  });
});

describe('expiry', () => {
  it('bindings disappear from lookup when they expire, and expire() drops them', async () => {
    const { registrar, clock, store } = await setup();
    await registrar.register(reg({ expiresHeader: 60, contacts: [{ uri: 'sip:op1@10.0.0.1' }] }));
    await registrar.register(reg({ expiresHeader: 120, callId: 'x', contacts: [{ uri: 'sip:op1@10.0.0.2' }] }));
    clock.advance(59_999);
    expect(registrar.lookup(AOR)).toHaveLength(2);
    clock.advance(1);
    expect(registrar.lookup(AOR).map((b) => b.contact)).toEqual(['sip:op1@10.0.0.2']);
    expect(registrar.count()).toBe(2);
    expect(await registrar.expire()).toBe(1);
    expect(registrar.count()).toBe(1);
    expect((store as MemoryBindingStore).size).toBe(1);
    clock.advance(60 * S);
    expect(await registrar.expire(clock.now())).toBe(1);
    expect(registrar.count()).toBe(0);
    expect(registrar.aorCount()).toBe(0);
  });

  it('an expired binding does not hold its Call-ID/CSeq against a new registration', async () => {
    const { registrar, clock } = await setup();
    await registrar.register(reg({ cseq: 10, expiresHeader: 60 }));
    clock.advance(61 * S);
    expect(ok(await registrar.register(reg({ cseq: 10, expiresHeader: 60 })))).toHaveLength(1);
  });

  it('init() drops bindings that expired while the process was down', async () => {
    const store = new MemoryBindingStore();
    const { registrar, clock } = await setup({ store });
    await registrar.register(reg({ expiresHeader: 60, contacts: [{ uri: 'sip:op1@10.0.0.1' }] }));
    await registrar.register(reg({ expiresHeader: 3600, callId: 'y', contacts: [{ uri: 'sip:op1@10.0.0.2' }] }));
    clock.advance(120 * S);
    const restarted = new Registrar({ clock, store });
    await restarted.init();
    expect(restarted.lookup(AOR).map((b) => b.contact)).toEqual(['sip:op1@10.0.0.2']);
    expect(restarted.count()).toBe(1);
    expect(store.size).toBe(1);
  });
});

describe('events, ordering and failures', () => {
  it('onChange reports added, refreshed, removed and expired with the running count', async () => {
    const { registrar, clock } = await setup();
    const seen: Array<[RegistrarEvent['type'], string, number]> = [];
    const stop = registrar.onChange((e, count) => seen.push([e.type, e.binding.contact, count]));
    await registrar.register(reg({ expiresHeader: 60, contacts: [{ uri: 'sip:op1@10.0.0.1' }, { uri: 'sip:op1@10.0.0.2' }] }));
    await registrar.register(reg({ cseq: 2, expiresHeader: 60, contacts: [{ uri: 'sip:op1@10.0.0.1' }] }));
    await registrar.register(reg({ cseq: 3, contacts: [{ uri: 'sip:op1@10.0.0.1', expires: 0 }] }));
    clock.advance(61 * S);
    await registrar.expire();
    stop();
    await registrar.register(reg({ cseq: 4 }));
    expect(seen).toEqual([
      ['added', 'sip:op1@10.0.0.1', 2],
      ['added', 'sip:op1@10.0.0.2', 2],
      ['refreshed', 'sip:op1@10.0.0.1', 2],
      ['removed', 'sip:op1@10.0.0.1', 1],
      ['expired', 'sip:op1@10.0.0.2', 0],
    ]);
  });

  it('a throwing listener does not fail the REGISTER', async () => {
    const errors: unknown[] = [];
    const { registrar } = await setup({ onListenerError: (e) => errors.push(e) });
    registrar.onChange(() => {
      throw new Error('gauge broke');
    });
    expect((await registrar.register(reg())).status).toBe(200);
    expect(errors).toHaveLength(1);
  });

  it('concurrent REGISTERs for one AOR are applied in call order', async () => {
    // A store whose writes take a while and finish in reverse order.
    const inner = new MemoryBindingStore();
    let delay = 30;
    const slow: BindingStore = {
      load: () => inner.load(),
      save: async (b: Binding) => {
        const d = (delay = Math.max(0, delay - 10));
        await new Promise((r) => setTimeout(r, d));
        await inner.save(b);
      },
      remove: (a, c) => inner.remove(a, c),
      removeAll: (a) => inner.removeAll(a),
    };
    const { registrar } = await setup({ store: slow });
    const results = await Promise.all([
      registrar.register(reg({ cseq: 1, expiresHeader: 600 })),
      registrar.register(reg({ cseq: 2, expiresHeader: 1200 })),
      registrar.register(reg({ cseq: 3, expiresHeader: 0 })),
      registrar.register(reg({ cseq: 4, expiresHeader: 900 })),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(registrar.lookup(AOR)).toMatchObject([{ cseq: 4, expiresAt: T0 + 900 * S }]);
    expect(await inner.load()).toMatchObject([{ cseq: 4 }]);

    // In the reverse order the older ones are refused, as they would be one by one.
    const r2 = await Promise.all([registrar.register(reg({ cseq: 9 })), registrar.register(reg({ cseq: 8 }))]);
    expect(r2.map((r) => r.status)).toEqual([200, 400]);
  });

  it('a store failure rejects with REG_STORE_FAILED and commits nothing', async () => {
    const inner = new MemoryBindingStore();
    let fail = false;
    const flaky: BindingStore = {
      load: () => inner.load(),
      save: (b) => (fail ? Promise.reject(new Error('disk full')) : inner.save(b)),
      remove: (a, c) => inner.remove(a, c),
      removeAll: (a) => inner.removeAll(a),
    };
    const { registrar } = await setup({ store: flaky });
    await registrar.register(reg({ expiresHeader: 600 }));
    fail = true;
    await expect(registrar.register(reg({ cseq: 2, expiresHeader: 1200 }))).rejects.toMatchObject({ code: 'REG_STORE_FAILED' });
    expect(registrar.lookup(AOR)[0]).toMatchObject({ cseq: 1, expiresAt: T0 + 600 * S });
    // The AOR's queue is not stuck after a failure.
    fail = false;
    expect((await registrar.register(reg({ cseq: 3 }))).status).toBe(200);
  });

  it('refuses use before init() and bad configuration', async () => {
    const { clock } = await setup();
    const r = new Registrar({ clock, store: new MemoryBindingStore() });
    await expect(r.register(reg())).rejects.toMatchObject({ code: 'REG_NOT_INITIALIZED' });
    expect(() => r.lookup(AOR)).toThrow(RegistrarError);
    expect(() => new Registrar({ clock, store: new MemoryBindingStore(), minExpires: 600, maxExpires: 60 })).toThrow(RegistrarError);
    await r.init();
    await expect(r.init()).rejects.toMatchObject({ code: 'REG_ALREADY_INITIALIZED' });
  });
});
