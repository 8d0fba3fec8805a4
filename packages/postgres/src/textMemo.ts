/**
 * Statement texts and prepared-statement names, made once per key and handed out as the same string
 * every time: a store sends a handful of statement forms on every append, and a string the map already
 * holds is looked up by the hash it carries instead of hashing kilobytes of SQL again. Bounded all the
 * same (each schema is a key of its own; a process with endless schemas forgets and makes them again).
 */
export const textMemo = (max = 1_000): ((key: string, make: () => string) => string) => {
  const made = new Map<string, string>();
  return (key, make) => {
    let text = made.get(key);
    if (text === undefined) {
      text = make();
      if (made.size >= max) made.clear();
      made.set(key, text);
    }
    return text;
  };
};
