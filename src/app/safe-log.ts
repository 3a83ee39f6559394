import { diag, type DiagLogger } from '@opentelemetry/api';
import { PACKAGE_NAME } from './version';

const component = diag.createComponentLogger({ namespace: PACKAGE_NAME });

type Level = keyof DiagLogger;

function safely(level: Level): DiagLogger[Level] {
  return (message: string, ...args: unknown[]) => {
    try {
      component[level](message, ...args);
    } catch {
      // The app's DiagLogger threw. The guard logs from its catch blocks, timers and socket
      // events: a throw there would reach the app's call, or become an uncaught exception or an
      // unhandled rejection. Nothing else can be told about it.
    }
  };
}

/**
 * The guard's diag logger, under its namespace: a logger the app installed that throws is ignored,
 * never thrown into the app's call, a timer or a socket event.
 */
export const guardLog: DiagLogger = {
  error: safely('error'),
  warn: safely('warn'),
  info: safely('info'),
  debug: safely('debug'),
  verbose: safely('verbose'),
};
