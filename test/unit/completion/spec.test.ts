import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/args.js';
import { HELP } from '../../../src/cli/help.js';
import { parseTargetRef } from '../../../src/cli/options.js';
import { FLAGS, KIND_SPELLINGS, TARGET_KINDS } from '../../../src/completion/spec.js';

// The completer keeps its own copy of the command line's shape (loading the
// real parser would slow every TAB); these tests keep the copy honest.
describe('completion spec', () => {
  it('knows every flag the help text documents, and no other', () => {
    // The subcommands' own flags (stop --all, ...) are theirs, not the session's.
    const sessionHelp = HELP.replace(/^Subcommands[^]*?^Other:/m, '');
    const documented = new Set([...sessionHelp.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]));
    expect(new Set(FLAGS.map((f) => f.name))).toEqual(documented);
    expect(FLAGS.length, 'each flag once').toBe(new Set(FLAGS.map((f) => f.name)).size);
    for (const f of FLAGS.filter((x) => x.short)) expect(HELP).toMatch(new RegExp(`-${f.short}, --${f.name}\\b`));
  });

  it('matches the parser: value flags take a value, boolean flags do not', () => {
    for (const f of FLAGS) {
      if (f.name === 'help' || f.name === 'version') continue; // handled before parsing
      if (f.value && !f.value.optional) {
        const raw = parseArgs(['web-1', `--${f.name}`, 'x']);
        expect(raw.target, f.name).toBe('web-1');
        if (f.short) expect(parseArgs(['web-1', `-${f.short}`, 'x']).target, f.short).toBe('web-1');
      } else if (!f.value) {
        expect(parseArgs([`--${f.name}`, 'web-1']).target, f.name).toBe('web-1');
        if (f.short) expect(parseArgs([`-${f.short}`, 'web-1']).target, f.short).toBe('web-1');
      }
    }
  });

  it('offers only kind spellings the plugin accepts', () => {
    for (const [spelling, kind] of Object.entries(KIND_SPELLINGS)) {
      expect(parseTargetRef(`${spelling}/x`).kind, spelling).toBe(kind);
    }
    for (const k of TARGET_KINDS) {
      expect(KIND_SPELLINGS[k.short]).toBe(k.kind);
      expect(KIND_SPELLINGS[k.long]).toBe(k.kind);
    }
  });
});
