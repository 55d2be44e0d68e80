import cluster, { type Worker } from 'node:cluster';

/** A worker that dies is replaced after this pause, so a crash loop does not spin the CPU. */
const RESTART_DELAY_MS = 1000;

/**
 * `keyward serve --workers N` in the primary process: N server processes (Node cluster) share one listening
 * address, the primary handing out connections. The first worker starts alone, so first-start work
 * (migrations, signing keys, the generated admin token) happens once; the others follow. A worker that
 * exits unexpectedly is replaced; SIGTERM/SIGINT are passed to every worker, which finish their in-flight
 * requests, and the primary exits once all are gone. Everything the workers share lives in the database
 * (limits stay exact across processes); rate limits are per process unless REDIS_URL is set.
 */
export async function runCluster(workers: number, log: (message: string) => void): Promise<void> {
  let isStopping = false;
  let hasStarted = false;
  let exitCode = 0;

  cluster.on('exit', (worker, code, signal) => {
    if (isStopping) {
      if (code !== 0) exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    if (!hasStarted) {
      // The first worker could not start (configuration, database): restarting would only repeat that.
      log(`keyward: the first worker exited while starting (${signal ?? code}); stopping`);
      isStopping = true;
      exitCode = 1;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
      return;
    }
    log(`keyward: worker ${worker.process.pid} exited (${signal ?? code}); starting a new one`);
    setTimeout(() => {
      if (!isStopping) cluster.fork();
    }, RESTART_DELAY_MS).unref();
  });

  cluster.on('listening', (worker) => log(`keyward: worker ${worker.process.pid} listening`));

  const stop = (signal: NodeJS.Signals) => {
    isStopping = true;
    const running = Object.values(cluster.workers ?? {});
    if (running.length === 0) process.exit(exitCode);
    for (const worker of running) worker?.process.kill(signal);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  const listening = (worker: Worker) =>
    new Promise<void>((resolve) => {
      worker.once('listening', () => resolve());
      worker.once('exit', () => resolve());
    });
  const first = cluster.fork();
  await listening(first);
  if (isStopping) return;
  hasStarted = true;
  for (let i = 1; i < workers; i++) cluster.fork();
}

export const isClusterPrimary = (): boolean => cluster.isPrimary;
