/**
 * Publish the flow file format (src/ivr/schema.ts) as JSON Schema, so that
 * editors with a YAML language server complete and check flow files as they are
 * typed (ivr-flows/*.yaml name it in their first line).
 *
 *   npx tsx scripts/flow-schema.ts           write ivr-flows/flow.schema.json
 *   npx tsx scripts/flow-schema.ts --check   exit 1 if the file is out of date (for CI)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FlowFile } from '../src/ivr/schema.ts';

const OUT = fileURLToPath(new URL('../ivr-flows/flow.schema.json', import.meta.url));

// io 'input': what a person writes — fields with defaults are optional, not required.
const schema = {
  ...z.toJSONSchema(FlowFile, { io: 'input' }),
  title: 'hotline IVR flow',
  description: 'One IVR flow of hotline (ivr-flows/*.yaml). Generated from src/ivr/schema.ts by scripts/flow-schema.ts; do not edit.',
};
const text = `${JSON.stringify(schema, null, 2)}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(OUT, 'utf8');
  } catch {
    // missing: out of date
  }
  if (current !== text) {
    console.error(`${OUT} is out of date: run npx tsx scripts/flow-schema.ts`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}`);
}
