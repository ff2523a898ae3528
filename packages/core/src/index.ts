// The user-facing API of Inproc core (re-exported whole by `inproc`). What backend authors
// and tools need (the backend contract, device loops, process singletons, ONNX glue) is on
// the `@inproc/core/backend` subpath (`backend-entry.ts`), not here.
export { InprocError, ErrorCodes, type ErrorCode, type InprocErrorOptions } from './errors.js';
export { type DType, type DataTypeMap, type ElementTypeMap, type TypedArray, type TensorData, DTYPES, isDType, bytesPerElement } from './dtype.js';
export { Tensor, type NativeHandle, type NestedArray, type TensorLocation, type DeviceStorage } from './tensor.js';
export { type Dim, type TensorInfo, type Signature, type Feeds, type Outputs, formatShape, isTensor } from './signature.js';
export { resources, liveResources, type ResourceCounts, type ResourceEntry, type ResourceKind } from './resources.js';
export { type ModelFormat, type DeviceChoiceOptions, type DeviceChoiceMetadata, MODEL_FORMATS } from './backend.js';
export { registerBackend, unregisterBackend, listBackends, hasBackend, backendAvailability, type RegisterOptions, type BackendFailure } from './backend-registry.js';
export { sniffFormat } from './format.js';
export { type ModelInput } from './source.js';
export { type Processor, type ProcessorContext } from './processing/processor.js';
export { type Model, type LoadOptions, type RunOptions, type WarmupOptions, type BatchingOptions, type WorkerResourceLimits } from './model.js';
export { metrics, metricFamilies, allStats, registerPromClient, observeWithOpenTelemetry, type MetricLabels, type MetricFamily, type MetricSample, type PromClientRegistry, type OtelMeter, type OtelObservable } from './metrics/metrics.js';
export type { ModelStats, StageDurations, HistogramSummary } from './metrics/stats.js';
export { configureIsolation, type IsolationOptions, type WebWorkerLike } from './execution/worker-pool.js';
export { loadModel } from './load-model.js';
export { typedModel, type SignatureSpec, type FeedsOf, type OutputsOf } from './typed-model.js';
export { zeroFeeds, randomFeeds, type RandomFeedsOptions } from './synthetic-feeds.js';
export { registerProcessor, listProcessors, createProcessor, type ProcessorSpec, type ProcessorFactory } from './processing/processor-registry.js';
export { chain, defineProcessor } from './processing/chain.js';
export { softmax, type SoftmaxOptions } from './processing/processors/softmax.js';
export { sigmoid, type SigmoidOptions } from './processing/processors/sigmoid.js';
export { argmax, type ArgmaxOptions } from './processing/processors/argmax.js';
export { topK, type TopKOptions, type ScoredLabel } from './processing/processors/top-k.js';
export { threshold, type ThresholdOptions } from './processing/processors/threshold.js';
export { pickOutput } from './processing/processors/pick-output.js';
export { type TensorSource } from './processing/processors/values.js';
export { BUILTIN_PROCESSORS } from './processing/processors/builtin.js';
export { pipeline, parallel, each, batched, type Pipeline, type PipelineRunOptions, type Step, type StepContext, type StepInput, type StepOutput, type Runnable, type CompositeStep, type BranchInput, type BranchOutputs, type EachOptions, type BatchedOptions } from './processing/pipeline.js';
export { monitorEventLoop, type EventLoopDelay, type EventLoopMonitor } from './metrics/event-loop.js';
export { openRepository } from './repository/open-repository.js';
export type { Repository, RepositoryOptions, RepositoryModelOptions, RepositoryLoadOptions, GetOptions, RepositoryRunOptions, ModelLease, VersionPolicy, WarmupSpec, BatchingSpec, Manifest, CacheStats, CacheEntryStats, ModelDescription, RepositoryIndexEntry, RepositoryVersionStatus, ModelVersions, UnloadReason, RepositoryEvent, RepositoryEventType, RepositoryListener } from './repository/repository-types.js';
export { MANIFEST_FILE, parseManifest, type ParsedManifest } from './repository/manifest.js';
export { parseNpy, isNpy, encodeNpy } from './sample-file.js';
