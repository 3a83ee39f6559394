/** The form of crypto.randomUUID(), which is how the guard names every record. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const MAX_LOAD = 0.75;

/**
 * The record ids the report has seen, to count a record written twice once. They are the one
 * thing it keeps that grows with the log, so the guard's own ids (UUIDs) are kept as their 16
 * bytes in one open-addressing table, exactly, not as strings in a Set (about 60 bytes each):
 * on a 1 GiB log that was most of the report's memory. Other ids (other clients') go in a Set.
 */
export class RecordIdSet {
  private readonly other = new Set<string>();
  private words = new Uint32Array(4 * 1024);
  private used = new Uint8Array(1024);
  private count = 0;
  /** Per run, so a crafted log cannot line its ids up in one probe chain. */
  private readonly seed = (Math.random() * 0x1_0000_0000) >>> 0;

  /** Adds the id: false when it was already there. */
  add(id: string): boolean {
    if (!UUID.test(id)) {
      if (this.other.has(id)) return false;
      this.other.add(id);
      return true;
    }
    const w0 = parseInt(id.slice(0, 8), 16);
    const w1 = parseInt(id.slice(9, 13) + id.slice(14, 18), 16);
    const w2 = parseInt(id.slice(19, 23) + id.slice(24, 28), 16);
    const w3 = parseInt(id.slice(28, 36), 16);
    if (!this.insert(w0, w1, w2, w3)) return false;
    if (++this.count > this.used.length * MAX_LOAD) this.grow();
    return true;
  }

  private insert(w0: number, w1: number, w2: number, w3: number): boolean {
    const capacity = this.used.length;
    let slot = this.hash(w0, w1, w2, w3) % capacity;
    for (;;) {
      const at = slot * 4;
      if (!this.used[slot]) {
        this.used[slot] = 1;
        this.words[at] = w0;
        this.words[at + 1] = w1;
        this.words[at + 2] = w2;
        this.words[at + 3] = w3;
        return true;
      }
      const words = this.words;
      if (words[at] === w0 && words[at + 1] === w1 && words[at + 2] === w2 && words[at + 3] === w3) {
        return false;
      }
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  /** Half again as many slots (not double: the table is most of the memory), every id moved. */
  private grow(): void {
    const words = this.words;
    const used = this.used;
    const capacity = Math.ceil(used.length * 1.5);
    this.words = new Uint32Array(4 * capacity);
    this.used = new Uint8Array(capacity);
    for (let slot = 0; slot < used.length; slot++) {
      const at = slot * 4;
      if (used[slot]) this.insert(words[at], words[at + 1], words[at + 2], words[at + 3]);
    }
  }

  /** Every word mixed in, then murmur3's finaliser. */
  private hash(w0: number, w1: number, w2: number, w3: number): number {
    let h = this.seed;
    h = mix(h, w0);
    h = mix(h, w1);
    h = mix(h, w2);
    h = mix(h, w3);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }
}

function mix(h: number, word: number): number {
  const m = Math.imul(h ^ word, 0x9e3779b1);
  return m ^ (m >>> 15);
}
