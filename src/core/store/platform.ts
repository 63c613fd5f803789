/**
 * IndexedDB's platform types, read off `globalThis`. Core is type-checked against the WebWorker
 * lib, which declares IndexedDB, and against Node's types alone, which do not (fake-indexeddb
 * supplies it at run time). So the store never names IndexedDB's globals: under the WebWorker
 * and DOM libs these aliases are the real types, under Node the small shapes below
 * (the trick @types/node uses for `fetch`).
 */
type Platform = typeof globalThis;

interface OpenRequestShape {
  readonly result: unknown;
  readonly error: unknown;
  readonly transaction: unknown;
  addEventListener(type: 'upgradeneeded', listener: (event: { oldVersion: number }) => void): void;
  addEventListener(type: 'success' | 'error', listener: () => void): void;
}

interface FactoryShape {
  open(name: string, version?: number): OpenRequestShape;
  deleteDatabase(name: string): OpenRequestShape;
}

interface KeyRangeStaticShape {
  bound(lower: unknown, upper: unknown, lowerOpen?: boolean, upperOpen?: boolean): object;
}

export type IdbFactory = Platform extends { IDBFactory: { prototype: infer T } } ? T : FactoryShape;
type KeyRangeStatic = Platform extends { IDBKeyRange: infer T } ? T : KeyRangeStaticShape;
export type IdbKeyRange = ReturnType<KeyRangeStatic['bound']>;

/** The global `IDBKeyRange`, looked up when needed (fake-indexeddb may install it late). */
export function keyRanges(): KeyRangeStatic {
  return (globalThis as unknown as { IDBKeyRange: KeyRangeStatic }).IDBKeyRange;
}

/** The global `indexedDB`, if this platform has one. */
export function globalFactory(): IdbFactory | undefined {
  return (globalThis as { indexedDB?: IdbFactory }).indexedDB;
}
