import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { earlyAnswer, version } from '../../../src/cli/early.js';
import { HELP } from '../../../src/cli/help.js';

const pkgVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('earlyAnswer', () => {
  it('--version anywhere before --', async () => {
    expect(version()).toBe(pkgVersion);
    for (const argv of [['--version'], ['pod', '-n', 'x', '--version'], ['--version', '--help']]) {
      expect(await earlyAnswer(argv)).toEqual({ text: `kubectl-distroless_debug v${pkgVersion}\n`, code: 0 });
    }
  });

  it('--help and -h: the help, exit 0; no arguments is left to main() (one error line, 64)', async () => {
    expect(await earlyAnswer(['--help'])).toEqual({ text: HELP, code: 0 });
    expect(await earlyAnswer(['pod', '-h'])).toEqual({ text: HELP, code: 0 });
    expect(await earlyAnswer([])).toBeUndefined();
  });

  it('leaves everything else to main(): sessions, flags after --, subcommands', async () => {
    for (const argv of [['pod'], ['pod', '--', '--help'], ['pod', '--', 'app', '--version'], ['list', '--help'], ['cp', '--version'], ['stop', '-h'], ['--helpx'], ['-hv']]) {
      expect(await earlyAnswer(argv)).toBeUndefined();
    }
  });
});
