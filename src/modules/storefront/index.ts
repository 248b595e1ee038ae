export {
  createStorefrontBuilder,
  exportPath,
  exportStorefront,
  type ServedFile,
  type StorefrontBuilder,
  type StorefrontKeys,
} from './storefront.builder.ts';
export { storefrontFastPath, storefrontRoutes } from './storefront.routes.ts';
