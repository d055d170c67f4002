import { describe, expect, it } from 'vitest';
import { TABLE_ACCEPT, tableNames } from '../../../src/completion/cluster.js';

describe('tableNames (completion lists as server-side Tables)', () => {
  const table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    columnDefinitions: [{ name: 'Name' }, { name: 'Ready' }, { name: 'Status' }, { name: 'Restarts' }, { name: 'Age' }],
    rows: [
      { cells: ['web-0', '1/1', 'Running', 0, '5m'] },
      { cells: ['web-1', '1/1', 'Terminating', 0, '5m'] },
      { cells: ['web-2', '0/1', 'Unknown', 0, '5m'] },
      { cells: ['web-3', '1/1', 'CrashLoopBackOff', 4, '5m'] },
      { cells: [42, '1/1', 'Running', 0, '5m'] },
    ],
  };

  it('asks for a Table, with the plain list as the fallback', () => {
    expect(TABLE_ACCEPT).toBe('application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
  });

  it('takes the Name column and leaves out rows that are going away', () => {
    expect(tableNames(table)).toEqual(['web-0', 'web-3']);
  });

  it('finds the columns by name, whatever their order; no Status column keeps every row', () => {
    expect(tableNames({ kind: 'Table', columnDefinitions: [{ name: 'Age' }, { name: 'NAME' }], rows: [{ cells: ['1d', 'app'] }] })).toEqual(['app']);
    expect(tableNames({ kind: 'Table', columnDefinitions: [{ name: 'Age' }], rows: [{ cells: ['1d'] }] })).toEqual([]);
  });

  it('reads a plain list when the server does not do Tables (deleting objects left out)', () => {
    expect(
      tableNames({
        kind: 'PodList',
        items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b', deletionTimestamp: '2026-01-01T00:00:00Z' } }, { metadata: {} }],
      }),
    ).toEqual(['a']);
  });
});
