/** The codes of the untyped requests a client may send before its startup message. */
const SSL_REQUEST = 80877103;
const GSS_ENCRYPTION_REQUEST = 80877104;

/**
 * Reads what a client sends to PostgreSQL on one connection (the frontend stream) and counts its messages by
 * type. The stream opens with untyped messages (int32 length that counts itself, int32 code): perhaps an
 * encryption request, then the startup message. Every later message is one type byte and an int32 length
 * that counts itself but not the type. Only headers are read, even when a chunk splits one; bodies are
 * skipped. A connection that switches to TLS cannot be read: the bench connects without it.
 */
export class FrontendMessageCounter {
  readonly counts = new Map<string, number>();
  private startingUp = true;
  private readonly header = Buffer.alloc(8);
  private headerFilled = 0;
  private bodyLeft = 0;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const skipped = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= skipped;
        at += skipped;
        continue;
      }
      const headerSize = this.startingUp ? 8 : 5;
      const copied = Math.min(headerSize - this.headerFilled, chunk.length - at);
      chunk.copy(this.header, this.headerFilled, at, at + copied);
      this.headerFilled += copied;
      at += copied;
      if (this.headerFilled < headerSize) return;
      this.headerFilled = 0;
      if (this.startingUp) {
        this.bodyLeft = this.header.readInt32BE(0) - 8;
        const code = this.header.readInt32BE(4);
        // After an encryption request (refused, for a plain connection) the startup message follows.
        if (code !== SSL_REQUEST && code !== GSS_ENCRYPTION_REQUEST) this.startingUp = false;
      } else {
        const type = String.fromCharCode(this.header[0] as number);
        this.bodyLeft = this.header.readInt32BE(1) - 4;
        this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      }
    }
  }

  /**
   * Round trips begun: a Sync ends each statement of the extended protocol and a Query is one statement of
   * the simple protocol; after either the client waits for ReadyForQuery (node-postgres never pipelines).
   */
  get roundTrips(): number {
    return (this.counts.get('S') ?? 0) + (this.counts.get('Q') ?? 0);
  }
}
