/**
 * A model's URL on a v2 server, `http(s)://host[:port][/prefix]/v2/models/{name}[/versions/{version}]`,
 * split into the server's base URL and the model's path under it.
 * @module
 */
import { InprocError } from '@inproc/core';

/** Where a model lives on a server. */
export interface ModelLocation {
  /** The server's base URL, ending in `/` (any prefix before `v2/` kept, as behind a gateway). */
  readonly base: URL;
  readonly name: string;
  readonly version: string | undefined;
  /** `v2/models/{name}[/versions/{version}]`, relative to `base`, with the name URL-encoded. */
  readonly path: string;
}

const PATTERN = /^(.*\/)v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/?$/;

/** Splits a model URL. @throws InprocError `INPUT_INVALID` when it is not one */
export function parseModelUrl(url: URL): ModelLocation {
  const match = PATTERN.exec(url.pathname);
  if (match === null || url.search !== '' || url.hash !== '') {
    throw new InprocError('INPUT_INVALID', `${url.href} is not a model URL of a v2 inference server; expected http(s)://host:port/v2/models/<name>[/versions/<version>]`);
  }
  let name: string;
  let version: string | undefined;
  try {
    name = decodeURIComponent(match[2]!);
    version = match[3] === undefined ? undefined : decodeURIComponent(match[3]);
  } catch (error) {
    throw new InprocError('INPUT_INVALID', `${url.href}: the model name or version is not valid URL encoding`, { cause: error });
  }
  const base = new URL(url.href);
  base.pathname = match[1]!;
  return { base, name, version, path: modelPath(name, version) };
}

/** `v2/models/{name}[/versions/{version}]` with both parts URL-encoded. */
export function modelPath(name: string, version?: string): string {
  return `v2/models/${encodeURIComponent(name)}${version === undefined ? '' : `/versions/${encodeURIComponent(version)}`}`;
}

/** The base URL of a replica given as a base or a model URL. */
export function replicaBase(url: URL): URL {
  const base = new URL(url.href);
  const at = base.pathname.indexOf('/v2/');
  base.pathname = at === -1 ? (base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`) : base.pathname.slice(0, at + 1);
  base.search = '';
  base.hash = '';
  return base;
}
