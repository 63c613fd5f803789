export interface StorageUsage {
  /** Bytes this origin uses. */
  usage: number;
  /** Bytes this origin may use. */
  quota: number;
}

interface StorageManagerLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
}

/**
 * The origin's storage use as `navigator.storage.estimate()` reports it, or undefined where there
 * is no StorageManager (Node). `navigator` is read off globalThis: core may run without a page.
 */
export async function estimateUsage(): Promise<StorageUsage | undefined> {
  const storage = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator
    ?.storage;
  if (!storage) return undefined;
  const { usage = 0, quota = 0 } = await storage.estimate();
  return { usage, quota };
}
