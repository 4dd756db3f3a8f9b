/** Set by vite.config.mjs: whether the API documents `GET /v1/imports/{id}/events` (SSE). */
declare const __SSE_DOCUMENTED__: boolean;
