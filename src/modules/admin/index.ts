export { type AdminFile, buildAdminAssets } from './admin.assets.ts';
export { adminRoutes } from './admin.routes.ts';
