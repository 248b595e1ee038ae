import type { components } from './api.d.ts';

type Schemas = components['schemas'];
export type Product = Schemas['Product'];
export type ProductList = Schemas['ProductList'];
export type ProductSearchResult = Schemas['ProductSearchResult'];
export type Collection = Schemas['Collection'];
export type CollectionList = Schemas['CollectionList'];
export type CollectionWithProducts = Schemas['CollectionWithProducts'];
export type Cart = Schemas['Cart'];
export type CartLine = Cart['lines'][number];
export type Address = Schemas['Address'];
export type Order = Schemas['Order'];
export type CheckoutResult = Schemas['CheckoutResult'];

/** A list page: `{ object: "list", data, has_more, next_cursor }`. */
export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}
