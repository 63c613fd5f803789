/** Near-duplicate results as CSV (RFC 4180 quoting, by papaparse) and JSON Lines text. */
import Papa from 'papaparse';
import type { DuplicateGroup, DuplicatePair } from './duplicates.ts';

/** `a,b,score` with a header row. */
export function pairsToCsv(pairs: readonly DuplicatePair[]): string {
  return Papa.unparse(
    { fields: ['a', 'b', 'score'], data: pairs.map(({ a, b, score }) => [a, b, score]) },
    { newline: '\n' },
  );
}

/** One `{"a":…,"b":…,"score":…}` object per line, newline-terminated. */
export function pairsToJsonl(pairs: readonly DuplicatePair[]): string {
  return pairs.map(({ a, b, score }) => JSON.stringify({ a, b, score }) + '\n').join('');
}

/** `group,size,member`: one line per member, so groups stay flat for spreadsheets. */
export function groupsToCsv(groups: readonly DuplicateGroup[]): string {
  return Papa.unparse(
    {
      fields: ['group', 'size', 'member'],
      data: groups.flatMap(({ group, members }) =>
        members.map((member) => [group, members.length, member]),
      ),
    },
    { newline: '\n' },
  );
}

/** One `{"group":…,"members":[…]}` object per line, newline-terminated. */
export function groupsToJsonl(groups: readonly DuplicateGroup[]): string {
  return groups.map(({ group, members }) => JSON.stringify({ group, members }) + '\n').join('');
}
