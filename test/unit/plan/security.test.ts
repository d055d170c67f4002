import type { V1SecurityContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { PodSecurityError, UsageError } from '../../../src/errors.js';
import type { Identity } from '../../../src/plan/identity.js';
import {
  decideSecurity,
  isPsaLevel,
  PROFILES,
  type ProfileName,
  type PsaLevel,
  type SecurityDecision,
} from '../../../src/plan/security.js';

const root: Identity = { uid: 0, gid: 0, source: 'status' };
const nonroot: Identity = { uid: 65532, gid: 65532, source: 'status' };
const mixed: Identity = { uid: 1001, gid: 0, source: 'flag' };

const strict = (id: Identity): V1SecurityContext => ({
  runAsUser: id.uid,
  runAsGroup: id.gid,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: 'RuntimeDefault' },
  capabilities: { drop: ['ALL'] },
});
const rootBaseline: V1SecurityContext = {
  runAsUser: 0,
  runAsGroup: 0,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: 'RuntimeDefault' },
};
// general: root with SYS_PTRACE (a non-root process cannot use added capabilities).
const general: V1SecurityContext = {
  runAsUser: 0,
  runAsGroup: 0,
  allowPrivilegeEscalation: false,
  seccompProfile: { type: 'RuntimeDefault' },
  capabilities: { add: ['SYS_PTRACE'] },
};

const levels: Array<PsaLevel | undefined> = [undefined, 'privileged', 'baseline', 'restricted'];

type Row = { profile: ProfileName; identity: Identity; psa: PsaLevel | undefined; want: SecurityDecision };
const rows: Row[] = [];
for (const psa of levels) {
  for (const id of [nonroot, mixed]) {
    rows.push({ profile: 'auto', identity: id, psa, want: { profile: 'restricted', securityContext: strict(id) } });
    rows.push({ profile: 'restricted', identity: id, psa, want: { profile: 'restricted', securityContext: strict(id) } });
    rows.push({ profile: 'baseline', identity: id, psa, want: { profile: 'baseline', securityContext: strict(id) } });
  }
  if (psa !== 'restricted') {
    rows.push({ profile: 'auto', identity: root, psa, want: { profile: 'baseline', securityContext: rootBaseline } });
  }
  rows.push({ profile: 'baseline', identity: root, psa, want: { profile: 'baseline', securityContext: rootBaseline } });
  if (psa !== 'baseline' && psa !== 'restricted') {
    rows.push({ profile: 'general', identity: root, psa, want: { profile: 'general', securityContext: general } });
  }
}

describe('decideSecurity', () => {
  it.each(rows.map((r) => ({ ...r, label: `${r.profile} uid ${r.identity.uid} gid ${r.identity.gid} psa ${r.psa ?? 'unknown'}` })))(
    '$label',
    ({ profile, identity, psa, want }) => {
      expect(decideSecurity({ identity, profile, psaLevel: psa })).toEqual(want);
    },
  );

  it('general is root with SYS_PTRACE, no privilege escalation, seccomp RuntimeDefault, no runAsNonRoot', () => {
    expect(decideSecurity({ identity: root, profile: 'general', psaLevel: undefined })).toEqual({ profile: 'general', securityContext: general });
  });

  it('general with a non-root identity is refused: its SYS_PTRACE would only reach the bounding set', () => {
    expect(() => decideSecurity({ identity: nonroot, profile: 'general', psaLevel: undefined })).toThrow(UsageError);
  });

  it.each(['baseline', 'restricted'] as const)('general in a %s namespace is refused before any change', (psa) => {
    expect(() => decideSecurity({ identity: root, profile: 'general', psaLevel: psa })).toThrow(PodSecurityError);
  });

  it('auto in a restricted namespace with a non-root target', () => {
    expect(decideSecurity({ identity: { uid: 1001, gid: 1001, source: 'image' }, profile: 'auto', psaLevel: 'restricted' })).toEqual({
      profile: 'restricted',
      securityContext: {
        runAsUser: 1001,
        runAsGroup: 1001,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        seccompProfile: { type: 'RuntimeDefault' },
        capabilities: { drop: ['ALL'] },
      },
    });
  });

  it.each(levels.map((psa) => ({ psa: psa ?? 'unknown', psaLevel: psa })))(
    '--profile restricted with a root target fails with UsageError (psa $psa)',
    ({ psaLevel }) => {
      let caught: unknown;
      try {
        decideSecurity({ identity: root, profile: 'restricted', psaLevel });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as Error).message).toBe(
        '--profile restricted needs a non-root debugger, but the target runs as root (uid 0); use --profile baseline',
      );
    },
  );

  it('a root uid with a non-zero gid still counts as root', () => {
    expect(() => decideSecurity({ identity: { uid: 0, gid: 1000, source: 'flag' }, profile: 'restricted', psaLevel: undefined })).toThrow(
      UsageError,
    );
  });

  it('auto + restricted namespace + root target => PodSecurityError', () => {
    let caught: unknown;
    try {
      decideSecurity({ identity: root, profile: 'auto', psaLevel: 'restricted' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PodSecurityError);
    expect((caught as Error).message).toBe(
      'the namespace enforces Pod Security "restricted", which forbids a root debugger, and the target runs as root; ask an admin to debug it from a namespace with "baseline"',
    );
  });

  it('returns a fresh securityContext each time', () => {
    const a = decideSecurity({ identity: nonroot, profile: 'auto', psaLevel: undefined });
    const b = decideSecurity({ identity: nonroot, profile: 'auto', psaLevel: undefined });
    expect(a.securityContext).not.toBe(b.securityContext);
    a.securityContext.capabilities!.drop!.push('X');
    expect(b.securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });
});

describe('PROFILES / isPsaLevel', () => {
  it('lists the profiles in order', () => {
    expect(PROFILES).toEqual(['auto', 'restricted', 'baseline', 'general']);
  });
  it.each([
    { v: 'privileged', want: true },
    { v: 'baseline', want: true },
    { v: 'restricted', want: true },
    { v: 'Restricted', want: false },
    { v: '', want: false },
    { v: 'general', want: false },
    { v: undefined, want: false },
  ])('isPsaLevel($v) = $want', ({ v, want }) => {
    expect(isPsaLevel(v)).toBe(want);
  });
});
