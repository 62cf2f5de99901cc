// Switch decides what it may do from the rules' declared traits, never from their names
// (issue 14: Adamax, whose name starts with "Adam", was taken for Adam).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adam, Adamax, AdamW, NAdam, RMSprop, SGD, Switch } from '../packages/optim/src/node.ts';

const p = () => [new Float64Array(3)];

test("momentum 'adam' needs Adam's moments first and SGD's momentum buffer second", () => {
  for (const First of [Adamax, NAdam, RMSprop]) {
    const params = p();
    assert.throws(
      () =>
        new Switch(new First(params), new SGD(params, { momentum: 0.9 }), {
          trigger: { step: 2 },
          momentum: 'adam',
        }),
      /momentum 'adam' needs Adam or AdamW first and SGD second/,
      First.name,
    );
  }
  for (const First of [Adam, AdamW]) {
    const params = p();
    assert.doesNotThrow(
      () =>
        new Switch(new First(params), new SGD(params, { momentum: 0.9 }), {
          trigger: { step: 2 },
          momentum: 'adam',
        }),
    );
  }
  const params = p();
  assert.throws(
    () =>
      new Switch(new Adam(params), new RMSprop(params), { trigger: { step: 2 }, momentum: 'adam' }),
    /needs Adam or AdamW first and SGD second/,
  );
});

test("the SWATS trigger and lr 'estimate' need Adam's moments", () => {
  const params = p();
  assert.throws(
    () => new Switch(new Adamax(params), new SGD(params), { trigger: 'swats' }),
    /the SWATS trigger needs Adam or AdamW first, got Adamax/,
  );
  assert.throws(
    () => new Switch(new Adamax(params), new SGD(params), { trigger: { step: 1 }, lr: 'estimate' }),
    /lr 'estimate' needs Adam or AdamW first, got Adamax/,
  );
  assert.equal(new Adam(p()).traits.adamMoments, true);
  assert.equal(new Adamax(p()).traits.adamMoments, undefined);
});
