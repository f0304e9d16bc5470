/**
 * Lookups by key, batched per turn of the event loop: the keys asked for while no run is under way
 * share the next one, started on the next turn; keys asked for during a run wait for it to end and
 * share the one after. A run starts after every caller in it asked, so a batched check is as fresh as
 * one made per request: what makes batching safe for checks such as a token's revocation.
 */

export interface BatchedLookups<V> {
  /** What the run holding `key` found for it, or undefined. */
  find(key: string): Promise<V | undefined>;
}

/**
 * `lookUp` finds the keys of one run (at most `maxKeys` of them: a bounded statement parameter, and a
 * bounded wait behind it); a key it does not return is undefined. Its failure fails every caller of
 * the run.
 */
export function createBatchedLookups<V>(
  lookUp: (keys: readonly string[]) => ReadonlyMap<string, V> | Promise<ReadonlyMap<string, V>>,
  maxKeys = Number.POSITIVE_INFINITY,
): BatchedLookups<V> {
  type Answer = (value: V | undefined, error?: unknown) => void;
  let waiting = new Map<string, Answer[]>();
  let running = false;
  let scheduled = false;

  const schedule = () => {
    if (running || scheduled || waiting.size === 0) return;
    scheduled = true;
    setImmediate(run);
  };

  const run = async () => {
    scheduled = false;
    running = true;
    let batch = waiting;
    if (batch.size > maxKeys) {
      const taken = [...batch].slice(0, maxKeys);
      batch = new Map(taken);
      for (const [key] of taken) waiting.delete(key);
    } else {
      waiting = new Map();
    }
    try {
      const found = await lookUp([...batch.keys()]);
      for (const [key, callers] of batch) for (const answer of callers) answer(found.get(key));
    } catch (error) {
      for (const callers of batch.values()) for (const answer of callers) answer(undefined, error);
    } finally {
      running = false;
      schedule();
    }
  };

  return {
    find(key) {
      return new Promise<V | undefined>((resolve, reject) => {
        const answer: Answer = (value, error) => (error === undefined ? resolve(value) : reject(error));
        const callers = waiting.get(key);
        if (callers) callers.push(answer);
        else waiting.set(key, [answer]);
        schedule();
      });
    },
  };
}
