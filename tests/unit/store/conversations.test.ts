import { describe, expect, it } from 'vitest';
import { StoreNotFoundError, type ConversationRecord } from '../../../src/core/store/index.ts';
import { openTestStore } from './indexeddb-env.ts';

function conversation(
  id: string,
  datasetId: string,
  updatedAt: number,
  question = 'What?',
): ConversationRecord {
  return {
    id,
    datasetId,
    title: `Conversation ${id}`,
    createdAt: 1,
    updatedAt,
    turns: [{ question, answer: { text: 'Because [1].', abstained: false }, createdAt: 2 }],
  };
}

describe('conversations store', () => {
  it('puts, gets, lists per dataset (latest first), renames and deletes', async () => {
    const store = await openTestStore();
    await store.putConversation(conversation('a', 'ds1', 10));
    await store.putConversation(conversation('b', 'ds1', 30));
    await store.putConversation(conversation('c', 'ds2', 20));

    expect(await store.getConversation('a')).toEqual(conversation('a', 'ds1', 10));
    expect(await store.getConversation('missing')).toBeUndefined();
    expect((await store.listConversations('ds1')).map((c) => c.id)).toEqual(['b', 'a']);
    expect((await store.listConversations('ds2')).map((c) => c.id)).toEqual(['c']);
    expect(await store.listConversations('ds3')).toEqual([]);

    // A new turn replaces the record whole.
    const grown = conversation('a', 'ds1', 40);
    grown.turns.push({ question: 'And then?', createdAt: 3 });
    await store.putConversation(grown);
    expect((await store.getConversation('a'))?.turns).toHaveLength(2);
    expect((await store.listConversations('ds1')).map((c) => c.id)).toEqual(['a', 'b']);

    const renamed = await store.renameConversation('b', 'Roses', 50);
    expect(renamed).toMatchObject({ id: 'b', title: 'Roses', updatedAt: 50 });
    expect((await store.getConversation('b'))?.title).toBe('Roses');
    expect((await store.getConversation('b'))?.turns).toEqual(conversation('b', 'ds1', 0).turns);
    await expect(store.renameConversation('missing', 'x')).rejects.toBeInstanceOf(
      StoreNotFoundError,
    );

    await store.deleteConversation('a');
    expect(await store.getConversation('a')).toBeUndefined();
    expect((await store.listConversations('ds1')).map((c) => c.id)).toEqual(['b']);

    expect(await store.deleteDatasetConversations('ds2')).toBe(1);
    expect(await store.listConversations('ds2')).toEqual([]);
    expect((await store.listConversations('ds1')).map((c) => c.id)).toEqual(['b']);
    store.close();
  });

  it('keeps conversations across reopening the database', async () => {
    const { IDBFactory } = await import('fake-indexeddb');
    const { openStore } = await import('../../../src/core/store/index.ts');
    const factory = new IDBFactory();
    const first = await openStore({ name: 'persist', factory });
    await first.putConversation(conversation('x', 'ds', 5, 'Kept?'));
    first.close();
    const second = await openStore({ name: 'persist', factory });
    const [kept] = await second.listConversations('ds');
    expect(kept?.turns[0]).toMatchObject({ question: 'Kept?' });
    second.close();
  });
});
