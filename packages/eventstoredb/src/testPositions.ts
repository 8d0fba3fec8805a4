/**
 * For the contract suite (`positionPastEnd`): a position far past the head of `$all`, in this
 * store's `<commit>:<prepare>` form. Not part of the public API, not built into dist.
 */
export const positionPastEnd = (head: string | undefined): string => {
  const [commit = '0', prepare = '0'] = (head ?? '0:0').split(':');
  const far = 1_000_000_000_000n;
  return `${(BigInt(commit) + far).toString()}:${(BigInt(prepare) + far).toString()}`;
};
