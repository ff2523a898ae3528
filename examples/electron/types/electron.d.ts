/**
 * The few Electron APIs this example uses. Electron cannot be installed in this
 * repository's CI (its install script downloads a binary), so the example is
 * type-checked against this declaration; in an app with `electron` installed, delete
 * this file and its real types take over.
 */
declare module 'electron' {
  interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
  }
  export class BrowserWindow {
    constructor(options: { width?: number; height?: number; webPreferences?: WebPreferences });
    loadURL(url: string): Promise<void>;
    static getAllWindows(): BrowserWindow[];
  }
  export const app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'activate' | 'will-quit', listener: () => void): void;
    quit(): void;
    readonly isPackaged: boolean;
  };
  export const protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean } }[]): void;
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
  };
  export const net: {
    fetch(url: string): Promise<Response>;
  };
  export const ipcMain: {
    handle(channel: string, listener: (event: unknown, ...args: never[]) => unknown): void;
  };
  export const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  };
  export const contextBridge: {
    exposeInMainWorld(key: string, api: unknown): void;
  };
}
