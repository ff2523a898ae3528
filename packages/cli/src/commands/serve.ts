/**
 * `inproc serve <repository>`: the repository over the Open Inference Protocol (KServe
 * v2 REST, binary tensor extension, Triton's repository, statistics, configuration and
 * schedule policy extensions) with `@inproc/server`. Prints the URL once it listens;
 * SIGINT or SIGTERM shut it down gracefully (every accepted request is answered).
 * @module
 */
import { resolve } from 'node:path';
import { setSessionDefaults } from '@inproc/onnx-node';
import { serve } from '@inproc/server';
import type { Io, Style } from '../io.js';
import { parseCommand, positiveInt, UsageError } from '../usage.js';

/*
 * ONNX_SPINNING: onnxruntime's intra-op pool has one thread per core by default, and
 * after each run (and each parallel section) its threads spin for more work. In a server
 * the thread that calls onnxruntime is the event loop, which between runs reads, decodes
 * and encodes every request: with spinning it competes for the cores with threads that
 * wait for nothing, and so does every other model, worker thread and process on the
 * machine. Off, the pool's threads sleep when idle and are woken (microseconds) by the
 * next parallel section. benchmarks/remote measures both (--onnx-spinning).
 */
export async function serveCommand(args: readonly string[], io: Io, s: Style): Promise<void> {
  const { values, positionals } = parseCommand('serve', args);
  if (positionals.length !== 1) throw new UsageError(`serve takes one repository directory, got ${positionals.length} arguments`, 'serve');
  const root = resolve(io.cwd, positionals[0]!);
  const portText = values.port ?? '8000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, got "${portText}"`, 'serve');
  const maxBytes = values['max-bytes'] === undefined ? undefined : positiveInt(values['max-bytes'], 'max-bytes', 0, 'serve');
  const workers = values.workers === undefined ? undefined : positiveInt(values.workers, 'workers', 1, 'serve');
  const load = {
    ...(values.backend === undefined ? {} : { backend: values.backend }),
    ...(values.device === undefined ? {} : { device: values.device }),
    // Inference in worker threads keeps the server's event loop free for other requests, health checks and metrics.
    ...(workers === undefined ? {} : { isolation: 'worker' as const, workers }),
  };
  const modelControl = values['model-control'] ?? 'none';
  if (modelControl !== 'none' && modelControl !== 'explicit') throw new UsageError(`--model-control must be none or explicit, got "${modelControl}"`, 'serve');
  const token = values.token ?? (process.env['INPROC_SERVE_TOKEN'] || undefined);
  if (token !== undefined && modelControl !== 'explicit') throw new UsageError('--token guards load and unload, which need --model-control explicit', 'serve');
  if (token !== undefined && (token.length < 8 || /\s/.test(token))) throw new UsageError('--token must be at least 8 characters without spaces', 'serve');
  const spinning = values['onnx-spinning'] ?? 'off';
  if (spinning !== 'on' && spinning !== 'off') throw new UsageError(`--onnx-spinning must be on or off, got "${spinning}"`, 'serve');
  // Before any model loads (workers started later inherit it). Off by default: see ONNX_SPINNING.
  setSessionDefaults({ intraOpSpinning: spinning === 'on' });
  const server = await serve(root, {
    host: values.host ?? '127.0.0.1',
    port,
    preload: values.lazy !== true,
    maxBodyBytes: positiveInt(values['max-body-bytes'], 'max-body-bytes', 64 << 20, 'serve'),
    maxInflight: positiveInt(values['max-inflight'], 'max-inflight', 256, 'serve'),
    modelControl,
    ...(token === undefined ? {} : { controlToken: token }),
    repository: { ...(maxBytes === undefined ? {} : { maxBytes }), ...(Object.keys(load).length === 0 ? {} : { load }), ...(values.watch === true ? { watch: true } : {}) },
    log: (line) => io.stderr.write(`${s.dim(`inproc serve: ${line}`)}\n`),
  });
  io.stdout.write(`${s.bold('inproc serve')} ${root} on ${s.cyan(server.url)}  (models: ${server.repository.models().join(', ') || 'none'}; Ctrl-C stops)\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
