import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel, metrics, observeWithOpenTelemetry, registerPromClient } from 'inproc';
import { mlpModel } from '@inproc/testkit/onnx/models';

describe('metric adapters', () => {
  it('adds Inproc metrics to a prom-client registry, next to its own', async () => {
    const registry = new Registry();
    registerPromClient(registry);
    registerPromClient(registry); // idempotent
    await using model = await loadModel(mlpModel(8), { name: 'prom' });
    await model.run(new Tensor('float32', new Float32Array(8), [1, 8]));
    const text = await registry.metrics();
    expect(text).toContain('# TYPE inproc_requests_total counter');
    expect(text).toContain('inproc_requests_total{model="prom",backend="onnx-node",device="cpu"} 1');
    expect(text).toContain('inproc_request_duration_seconds_count{model="prom",backend="onnx-node",device="cpu",stage="run"} 1');
    // The same samples as Inproc's own exposition.
    for (const line of metrics().split('\n').filter((l) => l.startsWith('inproc_requests_total'))) expect(text).toContain(line);
  });

  it('reports through an OpenTelemetry meter', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    observeWithOpenTelemetry(provider.getMeter('inproc-test'));
    await using model = await loadModel(mlpModel(8), { name: 'otel' });
    await model.run(new Tensor('float32', new Float32Array(8), [1, 8]));
    await model.run(new Tensor('float32', new Float32Array(7), [1, 7])).catch(() => undefined);
    await reader.forceFlush();
    const metricsOut = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const point = (name: string, attrs: Record<string, string> = {}): number | undefined =>
      metricsOut
        .find((m) => m.descriptor.name === name)
        ?.dataPoints.find((p) => Object.entries({ model: 'otel', ...attrs }).every(([k, v]) => p.attributes[k] === v))?.value as number | undefined;
    expect(point('inproc.requests')).toBe(2);
    expect(point('inproc.request.successes')).toBe(1);
    expect(point('inproc.request.failures', { code: 'INPUT_SHAPE' })).toBe(1);
    expect(point('inproc.request.duration', { stage: 'run', quantile: '0.5' })).toBeGreaterThan(0);
    await provider.shutdown();
  });
});
