/**
 * Electron main process: Inproc resolves `inproc` with the `node` condition here, so
 * models run on onnxruntime-node (native CPU, or CUDA/DirectML/CoreML where installed).
 * It serves the renderer's comparison requests over IPC and disposes its model on quit.
 *
 * Packaging: onnxruntime-node's native binary (`bin/napi-v*`/…/`onnxruntime_binding.node`
 * and `libonnxruntime.so.1` / `.dylib` / `.dll`) cannot be loaded from inside
 * `app.asar`: unpack it (`asarUnpack` in package.json, electron-builder; with Electron
 * Forge: `packagerConfig.asar.unpack`). The model file is unpacked too, so that it is read
 * from a plain path.
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BrowserWindow, app, ipcMain, net, protocol } from 'electron';
import { type Model, loadModel } from 'inproc';
import { VAD_CHANNEL } from '../shared/api.js';
import { vadProbabilities } from '../shared/vad.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '../renderer');

// The renderer is served from app://renderer/ rather than file://: a standard, secure
// scheme with fetch() support, which onnxruntime-web needs to fetch its .wasm and the
// model (fetch() does not read file: URLs), and WebGPU needs (a secure context).
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

/** Path of Silero VAD v5, outside app.asar once packaged (see asarUnpack). */
function modelPath(): string {
  const path = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json')), 'dist', 'silero_vad_v5.onnx');
  return path.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
}

let model: Promise<Model> | undefined;

ipcMain.handle(VAD_CHANNEL, async (_event, samples: Float32Array) => {
  model ??= loadModel(modelPath(), { device: 'auto' });
  return vadProbabilities(await model, samples);
});

async function createWindow(): Promise<void> {
  const window = new BrowserWindow({
    width: 1000,
    height: 720,
    // Isolated renderer without Node: `inproc` is bundled for the browser there (onnx-web, WebGPU).
    webPreferences: { preload: join(here, 'preload.js'), contextIsolation: true, sandbox: false, nodeIntegration: false },
  });
  await window.loadURL('app://renderer/index.html');
}

await app.whenReady();
protocol.handle('app', (request) => {
  const path = join(rendererDir, decodeURIComponent(new URL(request.url).pathname));
  if (!path.startsWith(rendererDir)) return new Response('not found', { status: 404 });
  return net.fetch(pathToFileURL(path).href);
});
await createWindow();
app.on('activate', () => {
  if (BrowserWindow.getAllWindows().length === 0) void createWindow();
});
app.on('window-all-closed', () => app.quit());
app.on('will-quit', () => {
  void model?.then((m) => m.dispose());
});
