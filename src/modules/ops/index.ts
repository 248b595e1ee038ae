/** Operations: health, readiness, metrics, the OpenAPI document and its docs page. */
export { createApiDocument, type OpenApiDocument } from './openapi-document.ts';
export { mountOpenApi, opsRoutes } from './ops.routes.ts';
