/**
 * A first-come first-served counting semaphore: the `concurrency` of one subscription. First come,
 * first served keeps messages starting in offset order when slots are scarce.
 */
export class Slots {
  readonly #waiting: Array<() => void> = [];
  #free: number;

  constructor(size: number) {
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0 && this.#waiting.length === 0) {
      this.#free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free += 1;
  }
}
