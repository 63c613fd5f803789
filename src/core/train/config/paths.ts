/** Reading and writing config values by dotted path (`training.early_stopping.patience`). */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function getAtPath(root: object, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split('.')) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets a value, creating missing parent objects. */
export function setAtPath(root: object, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop();
  if (last === undefined) return;
  let node = root as Record<string, unknown>;
  for (const key of keys) {
    const child = node[key];
    if (isRecord(child)) node = child;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[last] = value;
}

export { isRecord };
