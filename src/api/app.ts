/**
 * The HTTP side of hotline. `buildApp()` assembles routes without listening,
 * so tests drive it with `inject`; `main.ts` calls `listen()`.
 * For now: /metrics for Prometheus and the health probes. The admin and
 * supervisor API arrives with the store.
 */
import Fastify from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface AppDeps {
  registry: Registry;
  logger: Logger;
  /** Components that must be up for /readyz, by name. */
  readiness: Record<string, () => boolean>;
}

export function buildApp(deps: AppDeps) {
  const app = Fastify({ loggerInstance: deps.logger });
  // Probes and scrapes come every few seconds: keep them out of the info log.
  const quiet = { logLevel: 'warn' as const };

  app.get('/metrics', quiet, async (_req, reply) => {
    const body = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(body);
  });

  app.get('/healthz', quiet, async () => ({ status: 'ok' }));

  app.get('/readyz', quiet, async (_req, reply) => {
    const checks = Object.fromEntries(Object.entries(deps.readiness).map(([name, check]) => [name, safe(check)]));
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });

  return app;
}

function safe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
