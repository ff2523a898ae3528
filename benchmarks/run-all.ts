/**
 * Runs every benchmark suite, each in a fresh process so that one's memory and JIT
 * state does not colour another's. `--quick` runs short versions (CI keeps them working).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const suites = ['overhead/overhead.ts', 'batching/batching.ts', 'event-loop/event-loop.ts'];
const extra = process.argv.slice(2);
let failed = 0;
for (const suite of suites) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(suite, import.meta.url)), ...extra], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
