import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { AppError } from '../core/errors.js';
import { dashboardRoutes } from '../dashboard/dashboard.routes.js';
import type { AppServices } from './app-services.js';
import { makeAuthenticate } from './auth.js';
import { registerCors } from './cors.js';
import { compatRoutes } from './compat/compat.routes.js';
import { errorBody, registerErrorHandler } from './error-handler.js';
import { createRequestLimiters, limitAuthFailures, limitPerKey } from './rate-limit.js';
import { destinationsRoutes } from './routes/destinations/destinations.routes.js';
import { eventsRoutes } from './routes/events/events.routes.js';
import { filesRoutes, importFilesRoutes } from './routes/files/files.routes.js';
import { healthRoutes } from './routes/health/health.routes.js';
import { importsRoutes } from './routes/imports/imports.routes.js';
import { keysRoutes } from './routes/keys/keys.routes.js';
import { metricsRoutes } from './routes/metrics/metrics.routes.js';
import { usersRoutes } from './routes/users/users.routes.js';
import { registerSecurityHeaders, setSecurityHeaders } from './security-headers.js';

export interface AppPlugins {
  /** Extra authenticated routes (destinations, compat adapters, events) registered by later capabilities. */
  readonly authenticated?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>;
  /** Extra public routes (dashboard, metrics). */
  readonly public?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** A percent-encoded control character (or a raw one) anywhere in the request target. */
const CONTROL_IN_URL = /%(?:[01][0-9a-f]|7f)|[\u0000-\u001f\u007f]/i;

/** Builds the Fastify app; never listens (only the process entry does). */
export async function buildApp(services: AppServices, plugins: AppPlugins = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Without the cast the app's type carries pino's Logger generic and no longer fits the
    // FastifyInstance plugins expect (tsc fails); the lint rule does not see that far.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: services.logger as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    // close() also ends idle keep-alive sockets (a download client's would hold it for 72 s).
    forceCloseConnections: true,
    // A caller's X-Request-Id is kept when it is sane, so it can be followed into job logs.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 2048 },
    // A malformed request target (bad percent-encoding) fails before routing, so the error handler
    // never sees it; answer it in the catalogue's shape too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      setSecurityHeaders(reply, request.url, { https: services.config.publicUrl.startsWith('https:') });
      void (reply as FastifyReply)
        .status(400)
        .send(
          errorBody(
            new AppError('VALIDATION_FAILED', { message: 'The request URL is malformed.', cause: error }),
          ),
        );
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The API speaks JSON only: a text/plain body is 415, not a string that fails validation oddly.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // No id, name, key or query value of this API holds a control character, and PostgreSQL cannot
    // even compare a text holding NUL (it would be a 500): refuse them before any route runs.
    if (CONTROL_IN_URL.test(request.url)) {
      throw new AppError('VALIDATION_FAILED', { message: 'The request URL contains control characters.' });
    }
  });
  registerSecurityHeaders(app, { https: services.config.publicUrl.startsWith('https:') });
  registerErrorHandler(app);
  registerCors(app, services.config.corsOrigins);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'bucketload',
        version: '0.1.0',
        description: 'Import media from a URL into your own S3-compatible bucket.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });

  await app.register(healthRoutes(services));
  await app.register(metricsRoutes(services));
  await app.register(filesRoutes(services));
  await app.register(dashboardRoutes());
  for (const plugin of plugins.public ?? []) await app.register(plugin);

  const authenticate = makeAuthenticate(services.keys);
  const limiters = createRequestLimiters(services.config);
  await app.register(async (authed) => {
    // onRequest, before the body is parsed: a request without a valid key learns nothing else.
    // Failed authentications are limited per client address, then each key to its quota.
    authed.addHook('onRequest', limitAuthFailures(authenticate, limiters.authFailures));
    authed.addHook('onRequest', limitPerKey(limiters.perKey));
    await authed.register(importsRoutes(services));
    await authed.register(importFilesRoutes(services));
    await authed.register(eventsRoutes(services));
    await authed.register(usersRoutes(services));
    await authed.register(keysRoutes(services));
    await authed.register(destinationsRoutes(services.destinations));
    await authed.register(compatRoutes(services));
    for (const plugin of plugins.authenticated ?? []) await authed.register(plugin);
  });

  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
