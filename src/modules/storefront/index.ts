export {
  createStorefrontBuilder,
  type ServedFile,
  type StorefrontBuilder,
  type StorefrontKeys,
} from './storefront.builder.ts';
export { storefrontRoutes } from './storefront.routes.ts';
