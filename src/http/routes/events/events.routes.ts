import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, toError } from '../../../core/errors.js';
import { WebhookDeliveryRepository } from '../../../db/webhook-delivery.repository.js';
import type { Job } from '../../../jobs/job.js';
import { isTerminal } from '../../../jobs/job-types.js';
import type { AppServices } from '../../app-services.js';
import { setSecurityHeaders } from '../../security-headers.js';
import { requireAuth } from '../../auth.js';
import { ErrorSchema, ImportIdParams } from '../imports/import.schema.js';

export interface EventsRoutesOptions {
  /** How often a stream reads its job from the database. Default 500 ms. */
  readonly pollMs?: number;
  /** Comment lines that keep proxies from closing an idle stream. Default 15 s. */
  readonly keepAliveMs?: number;
}

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const WebhookDeliverySchema = Type.Object({
  id: Type.String(),
  event: Type.String(),
  url: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
  log: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      at: Type.String(),
      durationMs: Type.Integer(),
      statusCode: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
    }),
  ),
});

/** The part of a job a `status` or `progress` event carries. */
function snapshot(job: Job) {
  return {
    id: job.id,
    status: job.status,
    phase: job.phase,
    progress: { ...job.progress },
    attempts: job.attempts,
    error: job.error === null ? null : { ...job.error },
  };
}

/**
 * `GET /v1/imports/:id/events`: Server-Sent Events for one import until it reaches a final state.
 * Works whichever process runs the job: the stream polls the job row (every 500 ms by default) and
 * sends `status` when the status or phase changes, `progress` when only the progress does, and at
 * the end one `completed` | `failed` | `canceled` event with the whole import (fresh presigned URLs),
 * then closes. See docs/events.md.
 *
 * `GET /v1/imports/:id/webhooks`: the webhook delivery log of the import.
 */
export function eventsRoutes(
  services: AppServices,
  options: EventsRoutesOptions = {},
): FastifyPluginAsyncTypebox {
  const pollMs = options.pollMs ?? 500;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const deliveries = new WebhookDeliveryRepository(services.database.db);
  return async (app) => {
    const open = new Set<() => void>();
    // Streams never end by themselves while a job runs: end them when the server closes, or
    // `app.close()` would wait for every client to go away.
    app.addHook('preClose', async () => {
      for (const end of [...open]) end();
    });

    app.get(
      '/v1/imports/:id/events',
      {
        schema: {
          tags: ['imports'],
          summary: 'Server-Sent Events of an import: status and progress, then its final state',
          params: ImportIdParams,
          produces: ['text/event-stream'],
          response: { '4xx': ErrorSchema },
        },
      },
      async (request, reply) => {
        const auth = requireAuth(request);
        const id = request.params.id;
        let job = await services.imports.get(auth.userId, id);
        // A hijacked reply skips the onSend hook that adds these: set them here.
        setSecurityHeaders(reply, request.url, { https: services.config.publicUrl.startsWith('https:') });
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        raw.write(`retry: ${Math.max(1000, pollMs * 2)}\n\n`);
        let seq = 0;
        let closed = false;
        let wake: (() => void) | undefined;
        const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), keepAliveMs);
        const end = (): void => {
          if (closed) return;
          closed = true;
          clearInterval(keepAlive);
          open.delete(end);
          wake?.();
          raw.end();
        };
        open.add(end);
        request.raw.on('close', end);
        raw.on('close', end);
        const send = (event: string, data: unknown): void => {
          if (!closed) raw.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };

        let last: ReturnType<typeof snapshot> | undefined;
        const emit = async (current: Job): Promise<void> => {
          const next = snapshot(current);
          if (
            last === undefined ||
            last.status !== next.status ||
            last.phase !== next.phase ||
            last.attempts !== next.attempts
          )
            send('status', next);
          else if (JSON.stringify(last) !== JSON.stringify(next)) send('progress', next);
          last = next;
          if (isTerminal(current.status)) {
            send(current.status, await services.imports.view(current));
            end();
          }
        };

        void (async () => {
          try {
            await emit(job);
            while (!closed) {
              await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, pollMs);
                wake = () => {
                  clearTimeout(timer);
                  resolve();
                };
              });
              if (closed) break;
              try {
                job = await services.imports.get(auth.userId, id);
              } catch (error) {
                if (error instanceof AppError && error.code === 'IMPORT_NOT_FOUND') {
                  send('error', { code: error.code, message: error.message });
                  end();
                  break;
                }
                // The database is away (PostgreSQL restarting): keep the stream, try again next tick.
                request.log.warn({ err: toError(error) }, 'event stream poll failed');
                continue;
              }
              await emit(job);
            }
          } catch (error) {
            request.log.error({ err: toError(error) }, 'event stream failed');
            end();
          }
        })();
        return reply;
      },
    );

    app.get(
      '/v1/imports/:id/webhooks',
      {
        schema: {
          tags: ['imports'],
          summary: 'The webhook delivery log of an import: each delivery with every attempt',
          params: ImportIdParams,
          response: { 200: Type.Object({ items: Type.Array(WebhookDeliverySchema) }), '4xx': ErrorSchema },
        },
      },
      async (request) => {
        const auth = requireAuth(request);
        const job = await services.imports.get(auth.userId, request.params.id);
        return { items: await deliveries.listForJob(job.id) };
      },
    );
  };
}
