/** What the SDK needs of a storage: `localStorage`, `sessionStorage` or anything shaped like them. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A storage held in memory: the default in Node, and where `localStorage` is unavailable (private modes). */
export function memoryStorage(): StorageLike {
  const items = new Map<string, string>();
  return {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
}

/** `localStorage` when the runtime has a working one, memory otherwise. */
export function defaultStorage(): StorageLike {
  try {
    const s = (globalThis as { localStorage?: StorageLike }).localStorage;
    if (s) {
      s.setItem('crowdstart:probe', '1');
      s.removeItem('crowdstart:probe');
      return s;
    }
  } catch {
    // Storage disabled (privacy settings, sandboxed frames): fall back to memory.
  }
  return memoryStorage();
}
