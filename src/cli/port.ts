import { createServer } from 'node:net';
import { CliError } from './errors.ts';

export function portInUse(port: number, host: string): CliError {
  return new CliError(
    `port ${port} on ${host} is in use; stop what listens there or set PORT to a free port`,
  );
}

/** Fails before any migration or job starts when the API could not listen anyway. */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? portInUse(port, host)
          : new CliError(`cannot listen on ${host}:${port}: ${e.message}`),
      ),
    );
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
