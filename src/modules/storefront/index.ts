export {
  createStorefrontBuilder,
  exportPath,
  exportStorefront,
  type ServedFile,
  type StorefrontBuilder,
  type StorefrontKeys,
} from './storefront.builder.ts';
export { storefrontRoutes } from './storefront.routes.ts';
