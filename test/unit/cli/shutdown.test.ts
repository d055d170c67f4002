import { describe, expect, it } from 'vitest';
import { HANDLED_SIGNALS, signalExitCode, signalMessage } from '../../../src/cli/shutdown.js';

describe('signal exit codes and messages', () => {
  it('uses 128 + the signal number, like a shell reports a killed program', () => {
    expect(HANDLED_SIGNALS.map(signalExitCode)).toEqual([130, 143, 129]);
  });
  it('has one line per signal that names it', () => {
    for (const sig of HANDLED_SIGNALS) {
      expect(signalMessage(sig)).toMatch(new RegExp(`^distroless-debug: .*\\(${sig}\\)$`));
    }
  });
});

