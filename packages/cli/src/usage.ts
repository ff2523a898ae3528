/**
 * Usage errors (bad arguments: exit code 2) and the help text of every command. Model
 * and run errors are `InprocError`s (exit code 1); see cli.ts.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line that cannot be run as given. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help to point at, if any. */
    readonly command?: string,
  ) {
    super(message);
  }
}

export const COMMANDS = ['info', 'run', 'bench', 'types', 'serve', 'export'] as const;
export type CommandName = (typeof COMMANDS)[number];

const MODEL_ARG = `<model>  an ONNX file (.onnx), a TensorFlow.js model.json, or a directory holding one`;

export const HELP: Readonly<Record<CommandName | 'main', string>> = {
  main: `inproc — inspect, run and benchmark ML models in process (ONNX, TensorFlow.js)

Usage: inproc <command> [options]

Commands:
  info <model>     format, backends that can load it, signature, size, producer, metadata
  run <model>      run the model once on inputs from files (or random data) and print the outputs
  bench <model>    latency and throughput on one or more backends, with a progress bar and a table
  types <model>    a TypeScript declaration of the model's typed feeds and outputs
  serve <repo>     serve a model repository over the Open Inference Protocol (KServe v2)
  export triton <repo> <out>
                   write the repository as a Triton model repository (config.pbtxt)

Options:
  -h, --help       help (also: inproc <command> --help)
  -v, --version    the CLI's version

Exit codes: 0 success, 1 the model could not be loaded or run (the error code is printed),
2 bad command-line arguments.`,

  info: `Usage: inproc info <model> [--backend name] [--device name] [--json]

Shows the model's format, the backends that could load it (and whether each is available
here), its signature (input and output names, dtypes and shapes, symbolic dimensions by
name), file size, ONNX IR / opset / producer or TF.js converter, and metadata. The model is
loaded once to read its signature.

  ${MODEL_ARG}

Options:
  --backend <name>   load with this backend (default: the first available, by priority)
  --device <name>    cpu, wasm, cuda, ... (default: auto)
  --json             machine-readable output
  -h, --help         this help`,

  run: `Usage: inproc run <model> [--input name=value ...] [options]

Runs the model once and prints each output's dtype, shape, statistics and first values
(--json: every value).

  ${MODEL_ARG}

Inputs (--input name=value, repeatable; "name=" may be left out for a one-input model):
  file.npy           a NumPy array (np.save); float64 data is converted to a float32 input
  file.json          {"dtype","shape","data"} or a (nested) JSON array of numbers
  [[1,2],[3,4]]      an inline JSON array (quote it in the shell)
  photo.jpg|.png|.webp|.gif|.tiff|.avif
                     an image, resized to the input's height and width, NCHW or NHWC as the
                     input declares it, scaled to [0, 1] for float inputs — needs @inproc/image
  clip.wav           mono samples (channels averaged), the first N when the input has a fixed
                     length N — needs @inproc/audio
Inputs not given are filled with seeded random values when no --input is given at all, or
with --random; dynamic dimensions of random inputs are 1 unless set with --dim.

Options:
  --input <name=value>   an input (see above); repeatable
  --random               fill inputs that were not given with random values
  --dim <name=size>      size of a symbolic dimension for random inputs and images; repeatable
  --dim <input[axis]=size>  size of one dynamic dimension, named or not, e.g. 'input[1]=512'
  --seed <n>             seed of random inputs (default 1)
  --image-size <WxH>     image size for inputs whose height and width are not fixed
  --mean <r,g,b>         per-channel mean subtracted from image inputs (after scaling to [0, 1])
  --std <r,g,b>          per-channel standard deviation image inputs are divided by
  --sample-rate <hz>     resample WAV inputs to this rate (default: the file's)
  --outputs <a,b>        compute only these outputs
  --backend <name>       backend (default: the first available, by priority)
  --device <name>        device (default: auto)
  --json                 every output value as JSON on stdout
  -h, --help             this help`,

  bench: `Usage: inproc bench <model> [--backends a,b] [--iterations N] [--concurrency N] [options]

Loads the model on each backend in turn and measures load time, the first run, then
--iterations timed runs spread over --concurrency concurrent callers, with a progress bar
on a terminal. Prints latency percentiles (p50, p90, p99) and throughput per backend.
Inputs as for "inproc run" (default: seeded random data).

  ${MODEL_ARG}

Options:
  --backends <list>      comma-separated backends, each optionally with a device:
                         onnx-node,onnx-web:wasm,tfjs:cpu (default: every available backend
                         that loads the format)
  --device <name>        device for backends listed without one (default: auto)
  --iterations <n>       timed runs per backend (default 100)
  --warmup <n>           untimed runs after the first run (default 5)
  --concurrency <n>      concurrent callers (default 1)
  --input, --random, --dim, --seed, --image-size, --mean, --std, --sample-rate   as for run
  --json                 results as JSON (with every latency sample)
  -h, --help             this help

Benchmark numbers depend on the machine and its load; compare backends within one run.`,

  types: `Usage: inproc types <model> [--name Name] [--import module]

Prints a TypeScript declaration of the model's feeds and outputs (names, dtypes, and the
declared shapes in comments), so that an application gets compile-time checks of input
names and dtypes:

  inproc types models/emotion.json > src/emotion-model.ts

  import { loadModel, Tensor } from 'inproc';
  import type { EmotionFeeds, EmotionOutputs } from './emotion-model.js';
  const model = await loadModel<EmotionFeeds, EmotionOutputs>('models/emotion.json');

  ${MODEL_ARG}

Options:
  --name <Name>        prefix of the type names (default: from the file name)
  --import <module>    module the Tensor and Model types come from (default: inproc)
  --backend, --device  as for info (the model is loaded to read its signature)
  -h, --help           this help`,

  serve: `Usage: inproc serve <repository> [--port 8000] [--host 127.0.0.1] [options]

Serves a model repository (<name>/<version>/model.onnx, with optional inproc.json
manifests) over the Open Inference Protocol, the REST API of Triton and KServe (v2):
health, server and model metadata, inference with JSON or binary tensors, and Triton's
extensions: repository (index; load and unload with --model-control explicit),
statistics, model configuration and schedule policy (priority: 1 is the highest level),
plus Prometheus metrics on /metrics. Models are loaded and warmed up before the URL is
printed. Any v2 client works; from Inproc:

  loadModel('http://127.0.0.1:8000/v2/models/<name>', { backend: 'kserve' })

SIGINT (Ctrl-C) or SIGTERM stop it: every accepted request is answered first.

Options:
  --port <n>             port, 0 for any free one (default 8000)
  --host <address>       interface (default 127.0.0.1: this machine only; 0.0.0.0 serves the network)
  --lazy                 load models on first use instead of at start
  --watch                pick up new versions as they are published
  --max-bytes <n>        memory budget of loaded models, in bytes (default: unlimited)
  --max-body-bytes <n>   largest request body (default 67108864)
  --max-inflight <n>     inference requests handled at once; more get 503 (default 256)
  --model-control <mode> none (default): the repository index only; explicit: also load
                         and unload (POST v2/repository/models/<name>/load|unload)
  --token <token>        with explicit model control, load and unload need the header
                         "Authorization: Bearer <token>" (default: the INPROC_SERVE_TOKEN
                         environment variable, which other users cannot read in ps)
  --workers <n>          run each model in n worker threads, so that inference never blocks
                         the server's event loop (default: in the server's thread)
  --onnx-spinning <on|off>
                         whether onnxruntime's intra-op threads spin (busy-wait) for more
                         work after each run (default off: the server's own thread, which
                         reads and writes every request between runs, needs the cores that
                         spinning threads keep busy; a model's backendOptions.extra wins)
  --backend, --device    load the models with this backend / on this device
  -h, --help             this help`,

  export: `Usage: inproc export triton <repository> <out> [options]

Writes a Triton model repository from an Inproc one: each served version's files
(regular files only: a symbolic link is never followed) as <name>/<version>/ and a
config.pbtxt per model (platform onnxruntime_onnx, inputs and outputs with data types
and dims, max_batch_size and dynamic_batching from the manifest's batching, an instance
group). ONNX models only; TF.js models are listed and skipped, and so is, with a note, a
model that does not load or holds a link or special file. Serve the result with Triton:

  docker run --rm -p 8000:8000 -v $PWD/<out>:/models nvcr.io/nvidia/tritonserver:<tag>-py3 \
    tritonserver --model-repository=/models

Options:
  --instances <n>        model instances per instance group (default 1)
  --kind <kind>          KIND_AUTO, KIND_CPU or KIND_GPU (default KIND_AUTO)
  --force                write into <out> even if it is not empty
  --json                 print what was written as JSON
  -h, --help             this help`,
};

/** Options every command takes. */
const COMMON = { help: { type: 'boolean', short: 'h' }, backend: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } } as const;
const INPUTS = {
  input: { type: 'string', multiple: true },
  random: { type: 'boolean' },
  dim: { type: 'string', multiple: true },
  seed: { type: 'string' },
  'image-size': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'sample-rate': { type: 'string' },
} as const;

export const OPTIONS = {
  info: { ...COMMON },
  run: { ...COMMON, ...INPUTS, outputs: { type: 'string' } },
  bench: { ...COMMON, ...INPUTS, backends: { type: 'string' }, iterations: { type: 'string' }, warmup: { type: 'string' }, concurrency: { type: 'string' } },
  types: { ...COMMON, name: { type: 'string' }, import: { type: 'string' } },
  serve: {
    ...COMMON,
    port: { type: 'string' },
    host: { type: 'string' },
    lazy: { type: 'boolean' },
    watch: { type: 'boolean' },
    'max-bytes': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    'max-inflight': { type: 'string' },
    'model-control': { type: 'string' },
    token: { type: 'string' },
    workers: { type: 'string' },
    'onnx-spinning': { type: 'string' },
  },
  export: { ...COMMON, instances: { type: 'string' }, kind: { type: 'string' }, force: { type: 'boolean' } },
} as const satisfies Record<CommandName, ParseArgsConfig['options']>;

/** Parses a command's arguments; unknown options and missing values are usage errors naming the command. */
export function parseCommand<C extends CommandName>(command: C, args: readonly string[]): { values: ReturnType<typeof parseArgs<{ options: (typeof OPTIONS)[C]; allowPositionals: true; strict: true }>>['values']; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options: OPTIONS[command], allowPositionals: true, strict: true });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error), command);
  }
}

/** A positive integer option, or a usage error saying what was given. */
export function positiveInt(value: string | undefined, option: string, fallback: number, command: CommandName): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${option} must be a positive integer, got "${value}"`, command);
  return n;
}
