/**
 * Preload: exposes the main process's model to the isolated renderer as
 * `window.inprocMain` (see ../shared/api.ts). Nothing of Node reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { type MainProcessApi, VAD_CHANNEL } from '../shared/api.js';

const api: MainProcessApi = {
  vadProbabilities: async (samples) => (await ipcRenderer.invoke(VAD_CHANNEL, samples)) as number[],
};
contextBridge.exposeInMainWorld('inprocMain', api);
