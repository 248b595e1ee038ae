import { Redis } from 'ioredis';

/** Opens a Redis client that fails fast instead of queueing commands forever while Redis is down. */
export function openRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
}
