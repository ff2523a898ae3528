import Vad from './vad-client.js';

export default function Page() {
  return <Vad />;
}
