/**
 * `inproc/backend`: what backend authors and tools need (the backend contract and the
 * helpers backends share), re-exported from `@inproc/core/backend`. Users of models need
 * only the main `inproc` entry.
 * @module
 */
export * from '@inproc/core/backend';
