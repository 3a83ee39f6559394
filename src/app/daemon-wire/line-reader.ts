/** What the reader hands on: a whole line (without its newline), or notice of a line over the cap. */
export type LineEvent = { kind: 'line'; line: Buffer } | { kind: 'too-long' } | { kind: 'unterminated' };

/**
 * Frames a byte stream into newline-terminated lines of at most maxBytes. A line that grows past
 * the cap is reported once, as soon as it passes it, and its remaining bytes are skipped up to the
 * next newline, so an over-long line never sits in memory whole.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private length = 0;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onEvent: (event: LineEvent) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.endLine();
      start = newline + 1;
    }
  }

  /** True when bytes of an unfinished line are held (an over-long one was already reported). */
  get hasPartialLine(): boolean {
    return this.length > 0;
  }

  /** The stream ended: a held unfinished line is reported and dropped. */
  end(): void {
    if (this.length > 0) this.onEvent({ kind: 'unterminated' });
    this.parts = [];
    this.length = 0;
    this.discarding = false;
  }

  private take(bytes: Buffer): void {
    if (this.discarding || bytes.length === 0) return;
    if (this.length + bytes.length > this.maxBytes) {
      this.parts = [];
      this.length = 0;
      this.discarding = true;
      this.onEvent({ kind: 'too-long' });
      return;
    }
    // Copy: the socket may reuse the chunk's memory, and a short slice must not pin a large chunk.
    this.parts.push(Buffer.from(bytes));
    this.length += bytes.length;
  }

  private endLine(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    this.onEvent({ kind: 'line', line });
  }
}
