import type { ImportCounts } from '../core/imports/import-ports.js';
import type { ImportProgress } from './run-import.js';

const WIDTH = 30;

function tallyText(counts: ImportCounts): string {
  const licenses = counts.licenses;
  return licenses
    ? `${licenses.created} new, ${licenses.updated} updated, ${licenses.skipped} unchanged`
    : '';
}

/**
 * Progress of an import on a terminal: a bar redrawn in place (at most ten times a second) when the stream is
 * a TTY, otherwise a plain line at each tenth of the way, so logs stay readable.
 */
export function progressReporter(stream: NodeJS.WriteStream, label: string) {
  const isTty = Boolean(stream.isTTY);
  let lastDraw = 0;
  let lastTenth = -1;
  let drawn = false;
  return {
    update({ done, total, counts }: ImportProgress): void {
      const fraction = total ? Math.min(1, done / total) : null;
      if (isTty) {
        const now = Date.now();
        if (now - lastDraw < 100 && fraction !== 1) return;
        lastDraw = now;
        const bar =
          fraction === null
            ? ''
            : `[${'#'.repeat(Math.round(fraction * WIDTH)).padEnd(WIDTH, '.')}] ${Math.floor(fraction * 100)}% `;
        stream.write(`\r\x1b[2K${label} ${bar}${done}${total ? `/${total}` : ''} ${tallyText(counts)}`);
        drawn = true;
        return;
      }
      const tenth = fraction === null ? -1 : Math.floor(fraction * 10);
      if (tenth <= lastTenth) return;
      lastTenth = tenth;
      stream.write(`${label}: ${done}/${total} (${tenth * 10}%) ${tallyText(counts)}\n`);
    },
    warn(message: string): void {
      if (drawn) stream.write('\r\x1b[2K');
      stream.write(`${label}: warning: ${message}\n`);
    },
    end(): void {
      if (isTty && drawn) stream.write('\n');
    },
  };
}

/** The summary a finished import prints: per kind of record, how many were created, updated and skipped. */
export function summaryLines(counts: ImportCounts): string[] {
  return Object.entries(counts).map(
    ([entity, t]) =>
      `  ${entity.padEnd(12)} ${t.created} created, ${t.updated} updated, ${t.skipped} skipped`,
  );
}
