import { describe, expect, it } from 'vitest';
import { loadSetMatrix } from '../../../src/core/analyze/stored.ts';
import { mapStoredSet, pointCategories } from '../../../src/core/maps/index.ts';
import {
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  type EmbeddingBlockRecord,
} from '../../../src/core/store/index.ts';
import { openTestStore } from '../store/indexeddb-env.ts';

const DIMS = 6;

/** Points near one of two far-apart centres, spread over more than one stored block. */
async function storedSet(rows: number) {
  const store = await openTestStore();
  const dataset = await store.createDataset('maps');
  const docs = Array.from({ length: rows }, (_, i) => ({
    id: `d${i}`,
    source: i % 2 ? 'odd.txt' : 'even.txt',
    text: `doc ${i}`,
    metadata: (i % 3 === 2 ? {} : { topic: i % 3 === 0 ? 'alpha' : 'beta' }) as Record<
      string,
      string
    >,
  }));
  await store.addDocuments(dataset.id, 'h', docs);
  const blocks: EmbeddingBlockRecord[] = [];
  for (let i = 0; i < rows; i++) {
    const b = Math.floor(i / EMBEDDING_BLOCK_ROWS);
    const block = (blocks[b] ??= emptyEmbeddingBlock(dataset.id, 'set', b, DIMS));
    const centre = i % 2 ? 5 : -5;
    const vector = Array.from({ length: DIMS }, (_, j) => centre + Math.sin(i * 7.1 + j) * 0.3);
    block.vectors.set(vector, (i % EMBEDDING_BLOCK_ROWS) * DIMS);
    block.chunkIds.push(`d${i}#0`);
    block.count++;
  }
  await store.putEmbeddingBlocks(blocks);
  return { store, datasetId: dataset.id };
}

describe('stored maps', () => {
  it('reads a whole set in block order', async () => {
    const { store, datasetId } = await storedSet(EMBEDDING_BLOCK_ROWS + 5);
    const matrix = await loadSetMatrix(store, datasetId, 'set');
    expect(matrix.ids).toHaveLength(EMBEDDING_BLOCK_ROWS + 5);
    expect(matrix.dims).toBe(DIMS);
    expect(matrix.ids[EMBEDDING_BLOCK_ROWS + 4]).toBe(`d${EMBEDDING_BLOCK_ROWS + 4}#0`);
    expect(matrix.vectors[(EMBEDDING_BLOCK_ROWS + 1) * DIMS]).toBeCloseTo(
      5 + Math.sin((EMBEDDING_BLOCK_ROWS + 1) * 7.1) * 0.3,
      5,
    );
  });

  it('projects with PCA, keeps the two groups apart, and stores the coordinates', async () => {
    const { store, datasetId } = await storedSet(200);
    const events: number[] = [];
    const record = await mapStoredSet(
      store,
      datasetId,
      'set',
      { method: 'pca', dims: 2 },
      {
        onProgress: (event) => events.push(event.fraction),
      },
    );
    expect(record.id).toBe('projection:pca-2d');
    expect(record.values).toHaveLength(400);
    // The first principal axis separates the centres: odd rows on one side, even on the other.
    const side = (i: number) => Math.sign(record.values[i * 2] ?? 0);
    for (let i = 2; i < 200; i++) expect(side(i)).toBe(side(i % 2));
    expect(side(0)).not.toBe(side(1));
    expect(events.at(-1)).toBe(1);
    expect(events).toEqual([...events].sort((a, b) => a - b));
    const stored = await store.getAnalysis(datasetId, 'set', 'projection:pca-2d');
    expect(Array.from(stored?.values ?? [])).toEqual(Array.from(record.values));
    expect(stored?.chunkIds).toHaveLength(200);
  });

  it('refuses an empty set with a message that says what to do', async () => {
    const { store, datasetId } = await storedSet(3);
    await expect(loadSetMatrix(store, datasetId, 'missing')).rejects.toThrow(/has no rows/);
  });

  it('colours points by source or by a metadata field, missing values as (none)', async () => {
    const { store, datasetId } = await storedSet(6);
    const ids = ['d0#0', 'd1#0', 'd2#0', 'd3#0', 'd4#0', 'd5#0'];
    const bySource = await pointCategories(store, datasetId, ids, { kind: 'source' });
    expect(bySource.names.sort()).toEqual(['even.txt', 'odd.txt']);
    const even = bySource.names.indexOf('even.txt');
    expect(Array.from(bySource.codes).map((c) => c === even)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    const byTopic = await pointCategories(store, datasetId, ids, {
      kind: 'metadata',
      field: 'topic',
    });
    expect(Array.from(byTopic.codes, (c) => byTopic.names[c])).toEqual([
      'alpha',
      'beta',
      '(none)',
      'alpha',
      'beta',
      '(none)',
    ]);
  });
});
