/** How every message names a saga: `Saga 'create_order'@1`. */
export const sagaLabel = (saga: { readonly name: string; readonly version: string }): string =>
  `Saga '${saga.name}'@${saga.version}`;
