import { ManualClock } from '../../../../src/acd/clock.ts';
import { MemoryBindingStore } from '../../../../src/sip/registrar/memory-store.ts';
import { Registrar, type RegistrarOptions } from '../../../../src/sip/registrar/registrar.ts';
import type { BindingStore, RegisterInput, RegisterResult } from '../../../../src/sip/registrar/types.ts';

export const T0 = 1_700_000_000_000;
export const AOR = 'sip:op1@hotline.example';

export async function setup(opts: Partial<Omit<RegistrarOptions, 'clock'>> & { store?: BindingStore } = {}) {
  const clock = new ManualClock(T0);
  const store = opts.store ?? new MemoryBindingStore();
  const registrar = new Registrar({ ...opts, clock, store });
  await registrar.init();
  return { clock, store, registrar };
}

/** A REGISTER from op1's softphone behind NAT: private Contact, public source. */
export function reg(over: Partial<RegisterInput> = {}): RegisterInput {
  return {
    aor: AOR,
    callId: 'call-1@10.0.0.5',
    cseq: 1,
    contacts: [{ uri: 'sip:op1@10.0.0.5:5060;transport=udp' }],
    path: [],
    source: { transport: 'udp', address: '203.0.113.9', port: 40112 },
    userAgent: 'baresip 3.10',
    ...over,
  };
}

export function ok(r: RegisterResult): Extract<RegisterResult, { status: 200 }>['bindings'] {
  if (r.status !== 200) throw new Error(`expected 200, got ${JSON.stringify(r)}`);
  return r.bindings;
}
