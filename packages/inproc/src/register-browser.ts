/**
 * The registrations of the browser entry (`browser.ts`), also made by the browser worker
 * entry (`worker-browser.ts`): the onnx-web and kserve backends' light descriptors.
 * @module
 */
import { hasBackend, registerBackend } from '@inproc/core';
import { onnxWebBackend } from '@inproc/onnx-web';
import { kserveBackend } from '@inproc/kserve/descriptor';

if (!hasBackend(onnxWebBackend.name)) registerBackend(onnxWebBackend);
if (!hasBackend(kserveBackend.name)) registerBackend(kserveBackend);
