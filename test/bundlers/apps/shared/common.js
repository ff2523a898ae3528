// Helpers shared by the inproc apps and the raw onnxruntime-web apps of every bundler.

/** The test audio (16 kHz, float32 samples) test/bundlers/run.ts wrote beside the page. */
export async function loadAudio() {
  const response = await fetch(new URL('/audio.f32', location.href));
  if (!response.ok) throw new Error(`GET /audio.f32: HTTP ${response.status}`);
  return new Float32Array(await response.arrayBuffer());
}

/** Publishes what `work` resolved to (or why it failed) for the test driver. */
export function report(work) {
  Promise.resolve()
    .then(work)
    .then(
      (value) => {
        globalThis.__bundlerResult = { ok: true, ...value };
      },
      (error) => {
        globalThis.__bundlerResult = { ok: false, error: `${error?.code ?? error?.name ?? 'Error'}: ${error?.message ?? String(error)}` };
      },
    );
}
