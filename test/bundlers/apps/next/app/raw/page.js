import Raw from './raw-client.js';

export default function Page() {
  return <Raw />;
}
