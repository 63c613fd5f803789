/** One search result: a chunk and its similarity to the query. */
export interface SearchHit {
  chunkId: string;
  score: number;
}

/**
 * Keeps the best `k` of a stream of scored items in a bounded min-heap: the root is the worst kept
 * item, so a candidate is compared with one number and most candidates are rejected at once.
 * Ties keep the item seen first (lower `seq`), which makes results independent of heap layout.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly seqs: Float64Array;
  private readonly ids: string[] = [];
  private size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.seqs = new Float64Array(k);
  }

  /** A score must be strictly above this to enter (ties lose to the earlier item already kept). */
  get threshold(): number {
    return this.size < this.k ? -Infinity : (this.scores[0] as number);
  }

  get length(): number {
    return this.size;
  }

  /** Offers an item; callers visit items in increasing `seq`, so ties with the root are rejected. */
  push(score: number, seq: number, id: string): void {
    if (this.k === 0 || Number.isNaN(score)) return;
    if (this.size < this.k) {
      this.place(this.size, score, seq, id);
      this.size++;
      this.siftUp(this.size - 1);
    } else if (score > (this.scores[0] as number)) {
      this.place(0, score, seq, id);
      this.siftDown(0);
    }
  }

  /** The kept items, best first. Sorting k items is cheap; it is never all n scores. */
  sorted(): SearchHit[] {
    return this.sortedEntries().map(({ chunkId, score }) => ({ chunkId, score }));
  }

  /** The kept items with their `seq`, best first. */
  sortedEntries(): (SearchHit & { seq: number })[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => (this.worse(a, b) ? 1 : this.worse(b, a) ? -1 : 0));
    return order.map((i) => ({
      chunkId: this.ids[i] as string,
      score: this.scores[i] as number,
      seq: this.seqs[i] as number,
    }));
  }

  private place(i: number, score: number, seq: number, id: string): void {
    this.scores[i] = score;
    this.seqs[i] = seq;
    this.ids[i] = id;
  }

  /** Whether slot a ranks below slot b. */
  private worse(a: number, b: number): boolean {
    const sa = this.scores[a] as number;
    const sb = this.scores[b] as number;
    return sa < sb || (sa === sb && (this.seqs[a] as number) > (this.seqs[b] as number));
  }

  private swap(a: number, b: number): void {
    const { scores, seqs, ids } = this;
    [scores[a], scores[b]] = [scores[b] as number, scores[a] as number];
    [seqs[a], seqs[b]] = [seqs[b] as number, seqs[a] as number];
    [ids[a], ids[b]] = [ids[b] as string, ids[a] as string];
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < this.size && this.worse(left, worst)) worst = left;
      if (right < this.size && this.worse(right, worst)) worst = right;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }
}
