/** The app's isolation worker: all it takes is the `inproc/worker` entry. */
import 'inproc/worker';
