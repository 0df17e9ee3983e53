// Worker threads do not inherit the TypeScript loader of the main thread: register tsx here,
// then load the real entry (given by the MediaServer as a file URL).
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
