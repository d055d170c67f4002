import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * End-to-end tests need the real local cluster and the built plugin. `up` is
 * idempotent: on a running cluster it returns in a second or two.
 */
export default function setup(): void {
  execFileSync('scripts/cluster', ['up'], { cwd: repo, stdio: 'inherit' });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
}
