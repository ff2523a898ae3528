/**
 * What the CLI does on a terminal, driven in process through `main()` with streams that
 * say they are TTYs (a subprocess with a pipe never is): the progress bar of `bench`,
 * cleared before the table, and colours — unless NO_COLOR is set.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type OutStream } from '@inproc/cli';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { tempDir, writeFiles } from './helpers.js';

function terminal(): OutStream & { text: string } {
  const stream = { isTTY: true, columns: 100, text: '', write: (chunk: string) => (stream.text += chunk) };
  return stream;
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('tty');
  await writeFiles(dir, { 'mlp.onnx': mlpModel(32) });
});

describe('on a terminal', () => {
  it('bench draws a progress bar on stderr, clears it, and prints a coloured table', async () => {
    const stdout = terminal();
    const stderr = terminal();
    const code = await main(['bench', 'mlp.onnx', '--backends', 'onnx-node', '--iterations', '20', '--warmup', '1'], { stdout, stderr, env: {}, cwd: dir });
    expect(code).toBe(0);
    expect(stderr.text).toContain('\ronnx-node warm-up ');
    expect(stderr.text).toMatch(/\ronnx-node \(cpu\) .*█.* 20\/20/);
    expect(stderr.text.endsWith('\r\u001b[K')).toBe(true);
    expect(stderr.text).not.toContain('bench: onnx-node ...');
    expect(stdout.text).toContain('\u001b[1mbackend\u001b[22m');
  });

  it('NO_COLOR turns colours off on a terminal', async () => {
    const stdout = terminal();
    const stderr = terminal();
    const code = await main(['info', 'missing.onnx'], { stdout, stderr, env: { NO_COLOR: '1' }, cwd: dir });
    expect(code).toBe(1);
    expect(stderr.text).toBe('inproc: error [MODEL_NOT_FOUND] no such file: missing.onnx\n');
  });
});
