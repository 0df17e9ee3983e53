/**
 * Child process for the outbox kill -9 test (not a test file itself).
 * argv: dir dbFile count okCalls
 * Its "database" is dbFile, one key per line. The first okCalls batches are
 * written and acknowledged; the next one is written but never acknowledged (the
 * process dies before the outbox can move its checkpoint). Once every record is
 * synced to the journal and that unacknowledged batch has landed, the process
 * kills itself with SIGKILL: no close(), no exit handlers.
 */
import { appendFileSync } from 'node:fs';
import { pino } from 'pino';
import { Outbox } from '../../../src/store/outbox.ts';

const [dir, dbFile, countArg, okCallsArg] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countArg);
const okCalls = Number(okCallsArg);
let calls = 0;
let landed!: () => void;
const unacknowledged = new Promise<void>((resolve) => (landed = resolve));

const box = await Outbox.open<{ n: number }>({
  dir,
  name: 'cdr',
  log: pino({ level: 'silent' }),
  batchSize: 7,
  flushIntervalMs: 5,
  write: async (batch) => {
    calls++;
    if (calls > okCalls + 1) return new Promise<void>(() => undefined);
    appendFileSync(dbFile, batch.map((r) => `${r.key}\n`).join(''));
    if (calls === okCalls + 1) {
      landed();
      return new Promise<void>(() => undefined); // the database has it; the acknowledgement never comes
    }
  },
});
for (let i = 0; i < count; i++) {
  box.add(`k${i}`, { n: i });
  if (i % 10 === 9) await new Promise<void>((resolve) => setImmediate(resolve));
}
await box.sync();
await unacknowledged;
process.kill(process.pid, 'SIGKILL');
