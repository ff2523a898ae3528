import 'inproc/worker';
