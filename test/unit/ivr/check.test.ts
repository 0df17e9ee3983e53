import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFlowFiles } from '../../../src/ivr/check.ts';

const DEMO = fileURLToPath(new URL('../../../ivr-flows/isp-hotline.yaml', import.meta.url));
const QUEUES = ['internet-l1', 'tv-l1', 'billing-l1', 'l2-engineers'];

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-flow-check-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('checkFlowFiles (hotline flow check)', () => {
  it('passes the demo flow against the real prompts', async () => {
    const { ok, report } = await checkFlowFiles([DEMO], { queues: QUEUES, skills: ['internet', 'tv', 'billing', 'l2'] });
    expect(report).toMatch(/^ok {5}.*isp-hotline\.yaml: flow isp-hotline, 17 nodes, languages ru, en, sha256 [0-9a-f]{12}\n1 file checked: 1 valid, 0 refused$/);
    expect(ok).toBe(true);
  });

  it('lists every problem of a refused file, and fails', async () => {
    const { ok, report } = await checkFlowFiles([DEMO], { queues: ['tv-l1', 'billing-l1'] });
    expect(ok).toBe(false);
    const lines = report.split('\n');
    expect(lines[0]).toMatch(/^FAILED .*isp-hotline\.yaml \(FLOW_REFERENCE, 3 problems\):$/);
    expect(lines.filter((l) => l.includes('queue "internet-l1" is not configured'))).toHaveLength(3);
    expect(lines.at(-1)).toBe('1 file checked: 0 valid, 1 refused');
  });

  it('checks the flow files of a folder, reports a missing file and a duplicate id', async () => {
    copyFileSync(DEMO, join(dir, 'a.yaml'));
    copyFileSync(DEMO, join(dir, 'b.yaml'));
    writeFileSync(join(dir, 'README.md'), 'not a flow');
    const missing = join(dir, 'missing.yaml');
    const { ok, report } = await checkFlowFiles([dir, missing], { queues: QUEUES });
    expect(ok).toBe(false);
    expect(report).toContain(`FAILED ${join(dir, 'b.yaml')} (FLOW_REFERENCE, 1 problem):\n  ${join(dir, 'b.yaml')}: field id: flow id "isp-hotline" is already used by ${join(dir, 'a.yaml')}`);
    expect(report).toContain(`FAILED ${missing} (FLOW_NOT_FOUND, 1 problem):\n  ${missing}: no such file`);
    expect(report.split('\n').at(-1)).toBe('3 files checked: 1 valid, 2 refused');
  });

  it('fails when given nothing to check', async () => {
    expect(await checkFlowFiles([], { queues: QUEUES })).toEqual({ ok: false, report: 'no flow files to check' });
  });
});
