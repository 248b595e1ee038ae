/** The API objects the storefront renders (the fields it uses of the catalog's JSON). */
export interface Variant {
  id: string;
  sku: string;
  title: string;
  option_values: Record<string, string>;
  price: number;
  compare_at_price: number | null;
  currency: string;
  availability: { in_stock: boolean; available: number | null };
}

export interface Product {
  id: string;
  title: string;
  slug: string;
  description: string | null;
  tags: string[];
  images: { id?: string; url: string; alt: string | null }[];
  options: { name: string; values: string[] }[];
  variants: Variant[];
  price_range: { min: number | null; max: number | null; currency: string };
  version: number;
  updated_at: string;
}

export interface Collection {
  id: string;
  title: string;
  slug: string;
  description: string | null;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export interface CollectionWithProducts extends Collection {
  products: ListPage<Product>;
}
