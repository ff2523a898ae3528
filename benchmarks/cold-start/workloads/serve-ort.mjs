// (d) The raw counterpart of `inproc serve`: load the model with onnxruntime-node, then answer
// /v2/health/ready with 200 on node:http. `node serve-ort.mjs <model.onnx> <port>`; SIGTERM stops it.
import { createServer } from 'node:http';

const [path, port] = process.argv.slice(2);
const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(path);
const server = createServer((req, res) => {
  res.writeHead(req.url === '/v2/health/ready' ? 200 : 404).end();
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void session.release();
});
