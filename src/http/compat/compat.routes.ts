import type { FastifyPluginAsync } from 'fastify';
import type { AppServices } from '../app-services.js';
import { importlyRoutes } from './importly/importly.routes.js';
import { tornadoRoutes } from './tornado/tornado.routes.js';

/**
 * The seeds' APIs as thin adapters over the native services (register in the authenticated
 * context). Each adapter is its own plugin so its error shape stays its own. Qencode's destination
 * object needs no routes: POST /v1/imports accepts it as `destination`.
 */
export function compatRoutes(services: AppServices): FastifyPluginAsync {
  return async (app) => {
    await app.register(tornadoRoutes(services));
    await app.register(importlyRoutes(services));
  };
}
