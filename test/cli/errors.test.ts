/**
 * The CLI's failure modes: bad arguments (exit code 2, a pointer to the help), missing,
 * non-model and corrupt files, wrong inputs and unavailable devices (exit code 1, the
 * InprocError code and message), help for every command, version, and colours only
 * when asked for on a non-TTY.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlpModel } from '@inproc/testkit/onnx/models';
import { REPO_ROOT, inproc, npy, tempDir, writeFiles } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('errors');
  const mlp = mlpModel(64);
  await writeFiles(dir, {
    'mlp.onnx': mlp,
    'truncated.onnx': mlp.subarray(0, 2000),
    'notes.txt': 'just some text, not a model\n',
    'wrong-shape.npy': npy(new Float32Array(2 * 63), [2, 63]),
    'broken.npy': new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 200, 0, 1, 2]),
    'bad.json': '{"dtype": "float32", "shape": [1, 64], "data": [1, 2',
    'empty-dir/readme.md': 'nothing here',
    'not-a-picture.bin': 'xyz',
  });
});

async function expectUsageError(args: readonly string[], message: RegExp | string, command?: string): Promise<void> {
  const r = await inproc(args, { cwd: dir });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(typeof message === 'string' ? new RegExp(`^inproc: error: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) : message);
  expect(r.stderr).toContain(command === undefined ? 'see: inproc --help' : `see: inproc ${command} --help`);
}

async function expectModelError(args: readonly string[], code: string, message: RegExp): Promise<void> {
  const r = await inproc(args, { cwd: dir });
  // bench reports on stderr which backend it is at before the error line.
  expect(r.stderr.replace(/^bench: .*\n/gm, '')).toMatch(new RegExp(`^inproc: error \\[${code}\\] `));
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
}

describe('bad arguments: exit code 2', () => {
  it('no arguments: the overview on stdout, exit 2', async () => {
    const r = await inproc([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^inproc — inspect, run and benchmark/);
  });
  it('an unknown command', () => expectUsageError(['frobnicate', 'x'], 'no command "frobnicate"; commands: info, run, bench, types'));
  it('an unknown option', () => expectUsageError(['info', 'mlp.onnx', '--bogus'], "Unknown option '--bogus'", 'info'));
  it('an option without its value', () => expectUsageError(['run', 'mlp.onnx', '--input'], /^inproc: error: Option '--input <value>' argument missing/, 'run'));
  it('no model', () => expectUsageError(['types'], 'types needs a model file', 'types'));
  it('two models', () => expectUsageError(['info', 'a.onnx', 'b.onnx'], 'info takes one model, got 2 arguments', 'info'));
  it('an input the model does not have', () => expectUsageError(['run', 'mlp.onnx', '--input', 'z=[1]'], '--input z=[1]: the model has no input "z"; its inputs: x', 'run'));
  it('the same input twice', () => expectUsageError(['run', 'mlp.onnx', '--input', 'x=[[1]]', '--input', 'x=[[2]]'], '--input x is given twice', 'run'));
  it('a malformed --dim', () => expectUsageError(['run', 'mlp.onnx', '--dim', 'batch=0'], '--dim must be name=size or input[axis]=size with a positive size, got "batch=0"', 'run'));
  it('--dim naming an input the model does not have', () => expectUsageError(['run', 'mlp.onnx', '--dim', 'z[0]=2'], '--dim z[0]=2: the model has no input "z"; its inputs: x', 'run'));
  it('--dim on a fixed axis', () => expectUsageError(['run', 'mlp.onnx', '--dim', 'x[1]=2'], '--dim x[1]=2: axis 1 of input "x" [batch, 64] is fixed', 'run'));
  it('--dim on an axis past the rank', () => expectUsageError(['run', 'mlp.onnx', '--dim', 'x[2]=2'], '--dim x[2]=2: axis 2 of input "x" [batch, 64] is out of range', 'run'));
  it('a non-numeric --iterations', () => expectUsageError(['bench', 'mlp.onnx', '--iterations', '0'], '--iterations must be a positive integer, got "0"', 'bench'));
  it('--concurrency that is not a number', () => expectUsageError(['bench', 'mlp.onnx', '--concurrency', 'many'], '--concurrency must be a positive integer, got "many"', 'bench'));
  it('a --name that is not a type name', () => expectUsageError(['types', 'mlp.onnx', '--name', 'my model'], '--name must be a PascalCase identifier such as MyModel, got "my model"', 'types'));
  it('help for an unknown command', () => expectUsageError(['help', 'deploy'], 'no command "deploy"'));
});

describe('bad files and inputs: exit code 1 with the InprocError code', () => {
  it('a missing model file', () => expectModelError(['info', 'nope.onnx'], 'MODEL_NOT_FOUND', /no such file: nope\.onnx/));
  it('a directory without a model', () => expectModelError(['info', 'empty-dir'], 'MODEL_NOT_FOUND', /empty-dir is a directory without model\.json, model\.onnx or a single \.onnx file \(found: readme\.md\)/));
  it('a file that is no model', () => expectModelError(['run', 'notes.txt'], 'FORMAT_UNKNOWN', /notes\.txt is neither an ONNX model nor a TensorFlow\.js model\.json/));
  it('a truncated ONNX file', () => expectModelError(['info', 'truncated.onnx'], 'MODEL_INVALID', /truncated\.onnx/));
  it('an input of the wrong shape', () => expectModelError(['run', 'mlp.onnx', '--input', 'x=wrong-shape.npy'], 'INPUT_SHAPE', /input "x": expected shape \[batch, 64\], got \[2, 63\]/));
  it('a corrupt .npy input', () => expectModelError(['run', 'mlp.onnx', '--input', 'x=broken.npy'], 'INPUT_INVALID', /input "x": broken\.npy: header of 200 bytes runs past the end of the file/));
  it('a JSON input that does not parse', () => expectModelError(['run', 'mlp.onnx', '--input', 'x=bad.json'], 'INPUT_INVALID', /input "x": bad\.json is not valid JSON/));
  it('an input file of an unknown kind', () => expectModelError(['run', 'mlp.onnx', '--input', 'x=not-a-picture.bin'], 'INPUT_INVALID', /not-a-picture\.bin is not a \.npy, \.json, image .* or audio \(\.wav\) file/));
  it('an input file that does not exist', () => expectModelError(['run', 'mlp.onnx', '--input', 'x=missing.npy'], 'INPUT_INVALID', /input "x": no such file: missing\.npy/));
  it('a backend that does not exist', () => expectModelError(['run', 'mlp.onnx', '--backend', 'nonesuch'], 'BACKEND_UNAVAILABLE', /nonesuch/));
  it('a device the backend does not have', () => expectModelError(['bench', 'mlp.onnx', '--backends', 'onnx-node:webnn', '--iterations', '1'], 'DEVICE_UNAVAILABLE', /webnn/));
  it('a backend that does not load the format', () => expectModelError(['info', 'mlp.onnx', '--backend', 'tfjs'], 'BACKEND_UNAVAILABLE', /tfjs/));
});

describe('help, version, colours', () => {
  for (const command of ['info', 'run', 'bench', 'types']) {
    it(`${command} --help`, async () => {
      const r = await inproc([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: inproc ${command} <model>`));
      expect(r.stdout).toContain('-h, --help');
      const viaHelp = await inproc(['help', command]);
      expect(viaHelp.stdout).toBe(r.stdout);
    });
  }

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string };
    const r = await inproc(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('no colour codes on a pipe; FORCE_COLOR turns them on; NO_COLOR wins over a TTY only', async () => {
    const plain = await inproc(['info', 'nope.onnx'], { cwd: dir });
    expect(plain.stderr).not.toContain('\u001b[');
    const forced = await inproc(['info', 'nope.onnx'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toContain('\u001b[31minproc: error [MODEL_NOT_FOUND]\u001b[39m');
    const info = await inproc(['info', 'mlp.onnx'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(info.stdout).toContain('\u001b[1m');
  });
});
