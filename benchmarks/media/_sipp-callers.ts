/**
 * SIPp callers for the media benchmarks: `benchmarks/media/caller.xml` with the looping audio
 * file written in (SIPp does not substitute keywords inside rtp_stream), `calls` calls at
 * `rate` per second, each held `holdMs`, each streaming PCMU at 50 packets/s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSipp, type SippProcess } from '../../test/integration/sip/sipp.ts';
import { HOLD_MUSIC } from './_bench-app.ts';

const template = fileURLToPath(new URL('./caller.xml', import.meta.url));

export interface CallerScenario {
  file: string;
  cleanup(): void;
}

/** Raw µ-law audio for SIPp's rtp_stream and the scenario pointing at it. */
export function prepareCallerScenario(): CallerScenario {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-sipp-'));
  const audio = join(dir, 'audio.ul');
  execFileSync('sox', [HOLD_MUSIC, '-t', 'ul', audio]);
  const file = join(dir, 'caller.xml');
  writeFileSync(file, readFileSync(template, 'utf8').replace('[audio]', audio));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startCallers(scenario: CallerScenario, sipPort: number, calls: number, rate: number, holdMs: number): Promise<SippProcess> {
  return startSipp({
    scenario: { file: scenario.file },
    remote: `127.0.0.1:${sipPort}`,
    calls,
    rate,
    limit: calls,
    // SIPp's own RTP stream ports count up from -mp: keep them below the engine's 50000–59999
    // and away from the tests' ranges (42000–47999).
    mediaPort: 10000,
    args: ['-d', String(holdMs), '-rtp_threadtasks', '50'],
    timeoutMs: holdMs + (calls / rate) * 1000 + 60_000,
  });
}
