/**
 * Entry of the media worker thread: one MediaEngine, driven by messages from the
 * MediaServer port on the main thread. RTP pacing here never waits on signaling or the ACD.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MediaEngine } from './engine.ts';
import type { EngineOptions, EngineRequest } from './protocol.ts';

const port = parentPort;
if (port === null) throw new Error('src/media/worker.ts must run in a worker thread');

const { options } = workerData as { options: EngineOptions };
const engine = new MediaEngine(options, (msg) => port.postMessage(msg));

port.on('message', (msg: EngineRequest | { shutdown: true }) => {
  if ('shutdown' in msg) {
    void engine.close().then(() => port.postMessage({ shutdownDone: true }));
    return;
  }
  engine.handle(msg);
});
port.postMessage({ ready: true });
