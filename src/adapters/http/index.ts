/** The HTTP adapter: the express app, its routes, problems and OpenAPI. */
export { apiRoutes, type AppDeps, createApp, expressServerOptions } from './app.ts';
export { Metrics } from './metrics.ts';
export { openApiDocument } from './openapi.ts';
export { PROBLEM_STATUSES, type ProblemCode } from './problem.ts';
