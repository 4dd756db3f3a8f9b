import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../core/errors.js';
import type { AppServices } from '../../app-services.js';

/**
 * `GET /metrics`: Prometheus text format, names prefixed `bucketload_` (see docs/observability.md).
 * Public like /healthz: it carries counts, never ids, URLs or keys; restrict it at the network edge.
 */
export function metricsRoutes(services: AppServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/metrics',
      { schema: { tags: ['health'], summary: 'Prometheus metrics', produces: ['text/plain'] } },
      async (_request, reply) => {
        const metrics = services.metrics;
        if (metrics === undefined) throw new AppError('ROUTE_NOT_FOUND');
        const text = await metrics.render();
        return reply
          .header('content-type', metrics.contentType)
          .header('cache-control', 'no-store')
          .send(text);
      },
    );
  };
}
