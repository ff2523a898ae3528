// A server component that imports inproc: rendered in Node (the package's node entry).
import { Tensor, listBackends } from 'inproc';

export const dynamic = 'force-dynamic';

export default function Home() {
  const t = new Tensor('float32', [1, 2, 3], [3]);
  return <pre id="server">{JSON.stringify({ backends: listBackends().map((b) => b.name), size: t.size })}</pre>;
}
