import { describe, expect, it } from 'vitest';
import { textOf, valueAt } from '../../../src/core/hub-datasets/index.ts';
import { rowDocument } from '../../../src/core/hub-datasets/row-document.ts';
import { MessageLog } from '../../../src/core/ingest/messages.ts';

const pubmedRequest = {
  dataset: 'qiaojin/PubMedQA',
  config: 'pqa_labeled',
  split: 'train',
  textColumn: 'context.contexts',
  idColumn: 'pubid',
  limit: 10,
};

describe('rows as documents', () => {
  it('follows dotted paths into structs and joins lists of strings with blank lines', () => {
    const row = {
      pubid: 21645374n,
      context: { contexts: ['First part.', 'Second part.'], labels: ['A', 'B'] },
    };
    expect(valueAt(row, 'context.contexts')).toEqual(['First part.', 'Second part.']);
    expect(textOf(valueAt(row, 'context.contexts'))).toBe('First part.\n\nSecond part.');
    const log = new MessageLog('hf://datasets/qiaojin/PubMedQA/pqa_labeled/train');
    const doc = rowDocument(row, 7, pubmedRequest, log);
    expect(doc).toEqual({
      id: '21645374',
      source: 'hf://datasets/qiaojin/PubMedQA/pqa_labeled/train',
      text: 'First part.\n\nSecond part.',
      metadata: { hf_dataset: 'qiaojin/PubMedQA', config: 'pqa_labeled', split: 'train', row: 7 },
    });
    expect(log.finish()).toEqual([]);
  });

  it('skips rows without usable text, naming the row and the column, and falls back for ids', () => {
    const log = new MessageLog('src');
    expect(
      rowDocument({ pubid: 1, context: { contexts: [1, 2] } }, 2, pubmedRequest, log),
    ).toBeNull();
    expect(rowDocument({ pubid: 1, context: null }, 3, pubmedRequest, log)).toBeNull();
    expect(
      rowDocument({ pubid: 1, context: { contexts: ['  '] } }, 4, pubmedRequest, log),
    ).toBeNull();
    const noId = rowDocument({ pubid: null, context: { contexts: ['ok'] } }, 5, pubmedRequest, log);
    expect(noId?.id).toBe('pqa_labeled/train/5');
    const messages = log.finish();
    expect(messages.map((m) => [m.line, m.field])).toEqual([
      [3, 'context.contexts'],
      [4, 'context.contexts'],
      [5, 'context.contexts'],
      [6, 'pubid'],
    ]);
    expect(messages[0]?.message).toBe(
      'Row 3: column "context.contexts" holds a list that is not all text, not text; row skipped',
    );
    expect(messages[2]?.message).toContain('is empty');
  });
});
