import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppServices } from './app-services.js';
import { makeAuthenticate } from './auth.js';
import { compatRoutes } from './compat/compat.routes.js';
import { registerErrorHandler } from './error-handler.js';
import { destinationsRoutes } from './routes/destinations/destinations.routes.js';
import { filesRoutes } from './routes/files/files.routes.js';
import { healthRoutes } from './routes/health/health.routes.js';
import { importsRoutes } from './routes/imports/imports.routes.js';
import { keysRoutes } from './routes/keys/keys.routes.js';
import { usersRoutes } from './routes/users/users.routes.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface AppPlugins {
  /** Extra authenticated routes (destinations, compat adapters, events) registered by later capabilities. */
  readonly authenticated?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>;
  /** Extra public routes (dashboard, metrics). */
  readonly public?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the Fastify app; never listens (only the process entry does). */
export async function buildApp(services: AppServices, plugins: AppPlugins = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    // A caller's X-Request-Id is kept when it is sane, so it can be followed into job logs.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 2048 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerSecurityHeaders(app, { https: services.config.publicUrl.startsWith('https:') });
  registerErrorHandler(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'bucketload', version: '0.1.0', description: 'Import media from a URL into your own S3-compatible bucket.' },
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
  await app.register(filesRoutes(services));
  for (const plugin of plugins.public ?? []) await app.register(plugin);

  const authenticate = makeAuthenticate(services.keys);
  await app.register(async (authed) => {
    // onRequest, before the body is parsed: a request without a valid key learns nothing else.
    authed.addHook('onRequest', authenticate);
    await authed.register(importsRoutes(services));
    await authed.register(usersRoutes(services));
    await authed.register(keysRoutes(services));
    await authed.register(destinationsRoutes(services.destinations));
    await authed.register(compatRoutes(services));
    for (const plugin of plugins.authenticated ?? []) await authed.register(plugin);
  });

  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app as unknown as FastifyInstance;
}
