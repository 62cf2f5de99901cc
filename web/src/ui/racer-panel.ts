import {
  fromSlider,
  hyperSpecs,
  defaultsOf,
  RULES,
  toSlider,
  type FlatOptions,
} from '../optimizers.ts';
import type { Racer, RacerSpec } from '../race.ts';
import { el, fmt } from './dom.ts';

const STEPS = 1000;

/** Shown for a number that does not exist yet. */
const DASH = '—';

// PyTorch's slot names, with the symbol the update rule uses.
const SLOT_LABELS: Record<string, string> = {
  momentum_buffer: 'b (momentum_buffer)',
  exp_avg: 'm (exp_avg)',
  exp_avg_sq: 'v (exp_avg_sq)',
  max_exp_avg_sq: 'v̂ (max_exp_avg_sq)',
  exp_inf: 'u (exp_inf)',
  sum: 's (sum)',
  square_avg: 'v (square_avg)',
  acc_delta: 'u (acc_delta)',
  grad_avg: 'ḡ (grad_avg)',
  mu_product: 'Πₜ (mu_product)',
};

/**
 * The panel of one racer: its colour and name, a slider per hyper-parameter (the library's
 * default marked under it), its update rule, and a table of live state for coordinate x.
 */
export class RacerPanel {
  readonly root: HTMLElement;
  private readonly stateTable: HTMLElement;
  private readonly statusLine: HTMLElement;

  constructor(
    spec: RacerSpec,
    color: string,
    onChange: (options: FlatOptions) => void,
    onRemove: () => void,
  ) {
    const options = { ...spec.options };
    const defaults = defaultsOf(spec.name);
    const sliders = el('div', { class: 'sliders' });
    for (const s of hyperSpecs(spec.name)) {
      const id = `hp-${Math.random().toString(36).slice(2)}`;
      const listId = `${id}-default`;
      const d = defaults[s.key];
      const value = options[s.key] ?? d ?? s.min;
      const range = el('input', {
        type: 'range',
        min: '0',
        max: String(STEPS),
        step: '1',
        value: String(Math.round(toSlider(s, value) * STEPS)),
        'aria-label': `${spec.name} ${s.label}`,
        'data-key': s.key,
        list: listId,
      });
      const box = el('input', {
        type: 'number',
        class: 'num',
        value: String(value),
        step: 'any',
        'aria-label': `${spec.name} ${s.label} value`,
        'data-key': s.key,
      });
      // The default is marked twice: a tick on the slider (datalist) and a clickable label.
      const list = el('datalist', { id: listId });
      const reset = el('button', {
        class: 'default',
        type: 'button',
        title: 'back to the default',
      });
      if (d !== undefined) {
        list.append(el('option', { value: String(Math.round(toSlider(s, d) * STEPS)) }));
        reset.textContent = `default ${fmt(d)}`;
      }
      const set = (v: number) => {
        options[s.key] = v;
        range.value = String(Math.round(toSlider(s, v) * STEPS));
        box.value = String(v);
        onChange({ ...options });
      };
      range.addEventListener('input', () => set(fromSlider(s, Number(range.value) / STEPS)));
      box.addEventListener('change', () => {
        const v = Number(box.value);
        // Out-of-range values are passed on: the library's RangeError then shows in the panel.
        if (box.value.trim() !== '' && Number.isFinite(v)) set(v);
      });
      reset.addEventListener('click', () => d !== undefined && set(d));
      sliders.append(
        el('label', { for: id, class: 'hp-label' }, s.label + (s.scale === 'log' ? ' (log)' : '')),
        Object.assign(range, { id }),
        box,
        reset,
        list,
      );
    }
    const remove = el(
      'button',
      { class: 'remove', type: 'button', title: `remove ${spec.name}` },
      '×',
    );
    remove.addEventListener('click', onRemove);
    this.statusLine = el('span', { class: 'status' });
    this.stateTable = el('dl', { class: 'state' });
    this.root = el(
      'section',
      { class: 'racer', 'data-name': spec.name },
      el(
        'header',
        {},
        el('span', { class: 'swatch', style: `background:${color}` }),
        el('strong', {}, spec.name),
        this.statusLine,
        remove,
      ),
      el('code', { class: 'rule' }, RULES[spec.name] ?? ''),
      sliders,
      this.stateTable,
    );
  }

  /** Refreshes the live numbers (text only; called every frame while running). */
  update(r: Racer): void {
    this.statusLine.textContent =
      r.status === 'running' ? '' : r.status === 'diverged' ? 'diverged' : `error: ${r.error}`;
    this.statusLine.className = `status ${r.status}`;
    // Before the first step there is no gradient used and no step taken: a dash, not NaN. So is
    // the step size when gₓ was exactly 0 (−Δx/0 has no value).
    const none = r.steps === 0;
    const rows: [string, string][] = [
      ['t', String(r.steps)],
      ['x', fmt(r.p[0]!)],
      ['f', fmt(r.losses[r.losses.length - 1]!)],
      ['gₓ', none ? DASH : fmt(r.lastGrad)],
      ['effective step −Δx/gₓ', none || r.lastGrad === 0 ? DASH : fmt(r.effectiveStep)],
      ...Object.entries(r.leadingState()).map(
        ([k, v]) => [SLOT_LABELS[k] ?? k, fmt(v)] as [string, string],
      ),
    ];
    this.stateTable.replaceChildren(
      ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
    );
  }
}
