/**
 * A SipStack with no sockets: a fake SipTransports that records every send
 * (with the fake clock's time and the destination) and a FakeScheduler. Bytes
 * go in through stack.handleInbound exactly as a transport would deliver them.
 */
import { parseMessage, SipRequest, SipResponse } from '../../../../src/sip/message/index.ts';
import { FakeScheduler } from '../../../../src/sip/scheduler.ts';
import { SipStack, type SipStackOptions, type SipTransports } from '../../../../src/sip/stack.ts';
import type { Source } from '../../../../src/sip/transaction/layer.ts';
import type { Destination } from '../../../../src/sip/transaction/transaction.ts';
import { CALLER, CALLER_PORT, firstLine, silentLog } from '../transaction/helpers.ts';

export const OUR_HOST = '198.51.100.1';

export interface Sent {
  at: number;
  data: Buffer;
  dest: Destination;
}

export class FakeTransports implements SipTransports {
  readonly sent: Sent[] = [];

  constructor(private readonly clock: FakeScheduler) {}

  send(data: Buffer, dest: Destination): Promise<void> {
    this.sent.push({ at: this.clock.now(), data, dest });
    return Promise.resolve();
  }

  advertised(protocol: Destination['protocol']): { host: string; port: number } {
    return { host: OUR_HOST, port: protocol === 'tls' ? 5061 : 5060 };
  }

  lines(): string[] {
    return this.sent.map((s) => firstLine(s.data));
  }

  /** Sends whose first line starts with `prefix`. */
  matching(prefix: string): Sent[] {
    return this.sent.filter((s) => firstLine(s.data).startsWith(prefix));
  }

  requests(method: string): SipRequest[] {
    return this.matching(`${method} `).map((s) => parseMessage(s.data) as SipRequest);
  }

  responses(status: number): SipResponse[] {
    return this.matching(`SIP/2.0 ${status} `).map((s) => parseMessage(s.data) as SipResponse);
  }

  clear(): void {
    this.sent.length = 0;
  }
}

export interface StackFixture {
  clock: FakeScheduler;
  transports: FakeTransports;
  stack: SipStack;
  /** Deliver SIP text as if it arrived from `source` (UDP from the caller by default). */
  inbound(text: string | Buffer, source?: Source): void;
}

export const CALLER_UDP: Source = { protocol: 'udp', address: CALLER, port: CALLER_PORT };

export function setupStack(opts: Partial<Omit<SipStackOptions, 'transports' | 'scheduler' | 'log'>> = {}): StackFixture {
  const clock = new FakeScheduler(1_000_000);
  const transports = new FakeTransports(clock);
  const stack = new SipStack({ transports, scheduler: clock, log: silentLog, ...opts });
  return {
    clock,
    transports,
    stack,
    inbound: (text, source = CALLER_UDP) => stack.handleInbound(typeof text === 'string' ? Buffer.from(text) : text, source),
  };
}

export const CALLER_SDP = ['v=0', 'o=alice 2890844526 2890844526 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 49170 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
export const OUR_SDP = ['v=0', 'o=hotline 1 1 IN IP4 198.51.100.1', 's=hotline', 'c=IN IP4 198.51.100.1', 't=0 0', 'm=audio 30000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
