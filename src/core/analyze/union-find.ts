/**
 * Disjoint sets over 0 … n − 1 (union by size, path halving). Hand-written: it is a dozen lines,
 * and the npm packages for it wrap the same loop in object-per-node APIs.
 */
export class UnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.size = new Int32Array(n).fill(1);
  }

  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) {
      const grand = parent[parent[x] as number] as number;
      parent[x] = grand;
      x = grand;
    }
    return x;
  }

  union(a: number, b: number): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if ((this.size[ra] as number) < (this.size[rb] as number)) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] = (this.size[ra] as number) + (this.size[rb] as number);
  }
}

/** Members of each set with more than one member: sets by first member, members ascending. */
export function components(sets: UnionFind, members: Iterable<number>): number[][] {
  const byRoot = new Map<number, number[]>();
  for (const x of [...new Set(members)].sort((a, b) => a - b)) {
    const root = sets.find(x);
    const list = byRoot.get(root);
    if (list) list.push(x);
    else byRoot.set(root, [x]);
  }
  return [...byRoot.values()].filter((list) => list.length > 1);
}
