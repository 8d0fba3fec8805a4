import { beforeAll, describe, expect, it } from 'vitest';
import { createOrder, createOrderEdited } from '../../test/fixtures/orderSaga.mjs';
import { recordHistories, renumber, type Histories } from '../../test/histories.js';
import { shapeAt } from '../definitions/shapeAt.js';
import { checkDefinition } from './definitionCheck.js';

let histories: Histories;
beforeAll(async () => {
  histories = await recordHistories();
});

describe('checkDefinition', () => {
  it('accepts histories of the same definition', () => {
    for (const { events } of Object.values(histories)) expect(checkDefinition(events, [createOrder])).toEqual({ kind: 'checked', problems: [] });
  });

  it('says when no definition of that name and version was given', () => {
    expect(checkDefinition(histories.finished.events, [])).toEqual({ kind: 'unchecked', definition: 'create_order@1' });
  });

  it('catches a shape that changed under the same version, and steps it no longer has', () => {
    const verdict = checkDefinition(histories.finished.events, [createOrderEdited]);
    expect(verdict.kind).toBe('checked');
    const messages = verdict.kind === 'checked' ? verdict.problems.map((p) => p.message) : [];
    expect(messages[0]).toContain(`started with create_order@1 of shape ${createOrder.fingerprint}, but that definition now has shape ${createOrderEdited.fingerprint}`);
    expect(messages).toContain('StepFinished names step 4, which the definition does not have');
  });

  it('catches a step skipped, with the rules the engine refuses such a history by', () => {
    const events = histories.finished.events;
    const skipped = renumber(events.filter((e) => !(e.type === 'StepFinished' && e.data.path === '0')));
    const verdict = checkDefinition(skipped, [createOrder]);
    const messages = verdict.kind === 'checked' ? verdict.problems.map((p) => `${p.revision}: ${p.message}`) : [];
    expect(messages).toEqual([expect.stringMatching(/^1: \w+ for step 1, but the definition runs step 0 next$/)]);
  });
});

describe('shapeAt', () => {
  it('finds steps through branches, and nothing for paths that do not exist', () => {
    const shape = createOrder.describe();
    expect(shapeAt(shape, '1')?.kind).toBe('remote');
    expect(shapeAt(shape, '3')?.kind).toBe('conditional');
    expect(shapeAt(shape, '3.0.0')?.kind).toBe('remote');
    expect(shapeAt(shape, '3.else.0')?.kind).toBe('remote');
    for (const missing of ['9', '3.1.0', '3.0.1', '1.0.0', '01', '3.x.0', '']) expect(shapeAt(shape, missing)).toBeUndefined();
  });
});
