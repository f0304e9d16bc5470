/**
 * What a start-up has opened so far, closed in reverse order: when a later step fails, or at shutdown.
 * A step that fails is reported and the rest still run, so one stuck part cannot keep the others open.
 */
export class Teardown {
  readonly #steps: (() => Promise<void>)[] = [];
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** A step to run before every step added earlier. */
  add(step: () => Promise<void>): void {
    this.#steps.push(step);
  }

  /** Runs the steps added so far, newest first, each once. */
  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step().catch(this.#onError);
  }
}
