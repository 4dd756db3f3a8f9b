import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { migrationsApplied } from '../../../db/migrate.js';
import type { AppServices } from '../../app-services.js';
import { errorBody } from '../../error-handler.js';
import { AppError } from '../../../core/errors.js';

export function healthRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['health'],
          summary: 'Liveness',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({
        status: 'ok' as const,
      }),
    );

    app.get(
      '/readyz',
      { schema: { tags: ['health'], summary: 'Readiness: database reachable, migrations applied' } },
      async (_request, reply) => {
        try {
          await services.database.ping();
          if (!(await migrationsApplied(services.database.db))) {
            return reply.status(503).send(
              errorBody(
                new AppError('NOT_READY', {
                  message: 'Database migrations are pending.',
                  hint: 'Run `bucketload migrate`.',
                }),
              ),
            );
          }
          return { status: 'ready', database: services.database.capabilities.name };
        } catch {
          return reply
            .status(503)
            .send(errorBody(new AppError('NOT_READY', { message: 'The database is not reachable.' })));
        }
      },
    );
  };
}
