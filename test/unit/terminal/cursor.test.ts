import { describe, expect, it } from 'vitest';
import { freshLine, noteOutput } from '../../../src/terminal/cursor.js';

describe('freshLine', () => {
  it('starts a new line only when the last output did not end one, and only once', () => {
    expect(freshLine()).toBe('');
    noteOutput(Buffer.from('[debug pod/x app] / $ '));
    expect(freshLine()).toBe('\r\n');
    expect(freshLine()).toBe('');
    noteOutput('done\n');
    expect(freshLine()).toBe('');
    noteOutput(Buffer.alloc(0));
    expect(freshLine()).toBe('');
  });
});
