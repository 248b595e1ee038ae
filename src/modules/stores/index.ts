export { storeApiKeysRoutes } from './stores.api-keys.routes.ts';
export { storesRoutes } from './stores.routes.ts';
export { createStoresService, hashKey, type StoresService } from './stores.service.ts';
export { type StoreSettings, store } from './stores.tables.ts';
