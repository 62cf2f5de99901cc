import { decodeConfig, encodeConfig, NOISE_MAX, SPEEDS, type Config } from './config.ts';
import { drawField, drawRace, COLORS, Viewport } from './draw/map.ts';
import { sampleField } from './draw/field.ts';
import { drawPlot } from './draw/plot.ts';
import { defaultsOf, NAMES } from './optimizers.ts';
import { Race } from './race.ts';
import {
  builtinSurface,
  customSurface,
  formatWindow,
  parseWindow,
  SURFACES,
  type Surface,
} from './surface.ts';
import { installDebugHandle } from './debug.ts';
import { el, fmt } from './ui/dom.ts';
import { RacerPanel } from './ui/racer-panel.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const ui = {
  surface: $<HTMLSelectElement>('surface'),
  custom: $<HTMLFormElement>('custom'),
  expr: $<HTMLInputElement>('expr'),
  window: $<HTMLInputElement>('window'),
  exprError: $<HTMLParagraphElement>('expr-error'),
  play: $<HTMLButtonElement>('play'),
  step: $<HTMLButtonElement>('step'),
  reset: $<HTMLButtonElement>('reset'),
  speed: $<HTMLInputElement>('speed'),
  speedOut: $<HTMLOutputElement>('speed-out'),
  noise: $<HTMLInputElement>('noise'),
  noiseOut: $<HTMLOutputElement>('noise-out'),
  stepcount: $<HTMLSpanElement>('stepcount'),
  problems: $<HTMLParagraphElement>('problems'),
  field: $<HTMLCanvasElement>('field'),
  overlay: $<HTMLCanvasElement>('overlay'),
  formula: $<HTMLParagraphElement>('formula'),
  startOut: $<HTMLParagraphElement>('start-out'),
  plot: $<HTMLCanvasElement>('plot'),
  add: $<HTMLFormElement>('add'),
  addName: $<HTMLSelectElement>('add-name'),
  racers: $<HTMLDivElement>('racers'),
};

// The noise slider: 0 is off, then σ from 1e-2 to NOISE_MAX on a log scale.
const noiseFromSlider = (t: number) =>
  t === 0 ? 0 : Number((10 ** (-2 + ((t - 1) / 99) * (2 + Math.log10(NOISE_MAX)))).toPrecision(2));
const sliderFromNoise = (s: number) =>
  s <= 0 ? 0 : Math.round(1 + (99 * (Math.log10(s) + 2)) / (2 + Math.log10(NOISE_MAX)));

/** Everything that changes while the page runs. */
const app = {
  config: decodeConfig(location.hash).config,
  surface: builtinSurface('rosenbrock') as Surface,
  race: null as unknown as Race,
  panels: [] as RacerPanel[],
  playing: false,
  exprError: '',
  plotPoints: 0,
  pathVertices: 0,
  dirty: true,
  stepBudget: 0,
};

const speedText = (s: number) => (s >= 1 ? `${s}/frame` : `1/${1 / s} frames`);

function showProblems(problems: string[]): void {
  ui.problems.hidden = problems.length === 0;
  ui.problems.textContent = problems.length
    ? `Some of the link was ignored: ${problems.join('; ')}`
    : '';
}

/** Resolves the config's surface; a bad custom expression shows its error and keeps the last. */
function resolveSurface(c: Config): Surface {
  if (c.surface !== 'custom') return builtinSurface(c.surface)!;
  try {
    const s = customSurface(c.expr, c.window);
    setExprError('');
    return s;
  } catch (e) {
    setExprError((e as Error).message);
    // Keep what is on screen, and keep the URL describing it.
    c.surface = app.surface.name;
    if (app.surface.name === 'custom') {
      c.expr = app.surface.formula;
      c.window = app.surface.window;
    }
    return app.surface;
  }
}

function setExprError(msg: string): void {
  app.exprError = msg;
  ui.exprError.hidden = msg === '';
  ui.exprError.textContent = msg;
}

/** Applies the config: new race from the start, URL updated, controls and panels rebuilt. */
function apply(redrawField: boolean): void {
  const c = app.config;
  const surface = resolveSurface(c);
  if (surface !== app.surface) redrawField = true;
  app.surface = surface;
  const start = c.start ?? [surface.start[0]!, surface.start[1]!];
  app.race = new Race(surface, start, c.racers, c.noise, c.seed);
  history.replaceState(null, '', encodeConfig(c));
  ui.surface.value = c.surface;
  ui.custom.hidden = c.surface !== 'custom';
  if (ui.expr !== document.activeElement) ui.expr.value = c.expr;
  if (ui.window !== document.activeElement) ui.window.value = formatWindow(c.window);
  ui.speed.value = String(SPEEDS.indexOf(c.speed));
  ui.speedOut.textContent = speedText(c.speed);
  ui.noise.value = String(sliderFromNoise(c.noise));
  ui.noiseOut.textContent = c.noise === 0 ? 'off' : String(c.noise);
  ui.formula.textContent = `${surface.title}: ${surface.formula}`;
  ui.startOut.textContent = `start (${fmt(start[0]!)}, ${fmt(start[1]!)}) · click the map to move it`;
  buildPanels();
  if (redrawField) paintField();
  app.dirty = true;
}

function buildPanels(): void {
  const c = app.config;
  app.panels = c.racers.map(
    (spec, k) =>
      new RacerPanel(
        spec,
        COLORS[k % COLORS.length]!,
        (options) => {
          c.racers[k] = { name: spec.name, options };
          // Identical conditions for all: a changed hyper-parameter restarts the race.
          app.race = new Race(app.surface, app.race.start, c.racers, c.noise, c.seed);
          history.replaceState(null, '', encodeConfig(c));
          app.dirty = true;
        },
        () => {
          c.racers.splice(k, 1);
          apply(false);
        },
      ),
  );
  ui.racers.replaceChildren(...app.panels.map((p) => p.root));
}

/** Sizes a canvas to its CSS box at the device's pixel ratio; returns [w, h, dpr]. */
function fit(canvas: HTMLCanvasElement): [number, number, number] {
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  return [w, h, dpr];
}

function paintField(): void {
  const [w, h] = fit(ui.field);
  drawField(ui.field.getContext('2d')!, sampleField(app.surface), w, h);
}

function paint(): void {
  const [w, h, dpr] = fit(ui.overlay);
  const race = app.race;
  app.pathVertices = drawRace(
    ui.overlay.getContext('2d')!,
    new Viewport(app.surface.window, w, h),
    race,
    app.surface.minima,
    dpr,
  );
  const [pw, ph] = fit(ui.plot);
  app.plotPoints = drawPlot(ui.plot.getContext('2d')!, pw, ph, race, app.surface.minValue, dpr);
  race.racers.forEach((r, k) => app.panels[k]?.update(r));
  ui.stepcount.textContent = `step ${race.step}`;
  ui.play.textContent = app.playing ? 'Pause' : 'Play';
}

function frame(): void {
  if (app.playing) {
    // Fractional speeds accumulate: 0.25 steps per frame is one step every fourth frame.
    app.stepBudget += app.config.speed;
    const n = Math.floor(app.stepBudget);
    app.stepBudget -= n;
    app.race.advance(n);
    if (!app.race.live) app.playing = false;
    app.dirty = true;
  }
  if (app.dirty) {
    paint();
    app.dirty = false;
  }
  requestAnimationFrame(frame);
}

function setup(): void {
  ui.surface.append(
    ...SURFACES.map((s) => el('option', { value: s.name }, s.title)),
    el('option', { value: 'custom' }, 'Custom expression…'),
  );
  ui.addName.append(...NAMES.map((n) => el('option', { value: n }, n)));
  ui.addName.value = 'rmsprop';
  ui.surface.addEventListener('change', () => {
    app.config.surface = ui.surface.value;
    app.config.start = null;
    apply(true);
  });
  ui.custom.addEventListener('submit', (e) => {
    e.preventDefault();
    let win;
    try {
      win = parseWindow(ui.window.value);
      customSurface(ui.expr.value, win);
    } catch (err) {
      // A bad expression changes nothing else: the race on screen goes on.
      setExprError((err as Error).message);
      return;
    }
    app.config.expr = ui.expr.value;
    app.config.window = win;
    app.config.surface = 'custom';
    app.config.start = null;
    apply(true);
  });
  ui.play.addEventListener('click', () => {
    if (!app.race.live) app.race.reset();
    app.playing = !app.playing;
    app.dirty = true;
  });
  ui.step.addEventListener('click', () => {
    app.playing = false;
    app.race.advance(1);
    app.dirty = true;
  });
  ui.reset.addEventListener('click', () => {
    app.race.reset();
    app.dirty = true;
  });
  ui.speed.addEventListener('input', () => {
    app.config.speed = SPEEDS[Number(ui.speed.value)]!;
    ui.speedOut.textContent = speedText(app.config.speed);
    history.replaceState(null, '', encodeConfig(app.config));
  });
  ui.noise.addEventListener('input', () => {
    app.config.noise = noiseFromSlider(Number(ui.noise.value));
    apply(false);
  });
  ui.add.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = ui.addName.value;
    app.config.racers.push({ name, options: defaultsOf(name) });
    apply(false);
  });
  ui.overlay.addEventListener('click', (e) => {
    const r = ui.overlay.getBoundingClientRect();
    const v = new Viewport(app.surface.window, r.width, r.height);
    const [x, y] = v.toWorld(e.clientX - r.left, e.clientY - r.top);
    app.config.start = [Number(x.toPrecision(4)), Number(y.toPrecision(4))];
    apply(false);
  });
  // Space plays or pauses, "." steps, "r" resets, unless the user is typing.
  window.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) return;
    // A focused button already takes Space as its own click.
    if (t.tagName === 'BUTTON' && e.key === ' ') return;
    const button = { ' ': ui.play, '.': ui.step, r: ui.reset }[e.key];
    if (button) {
      e.preventDefault();
      button.click();
    }
  });
  window.addEventListener('hashchange', () => {
    // A pasted link: a hash this page wrote itself decodes to the same config.
    if (location.hash === encodeConfig(app.config)) return;
    const { config, problems } = decodeConfig(location.hash);
    app.config = config;
    showProblems(problems);
    apply(true);
  });
  new ResizeObserver(() => {
    paintField();
    app.dirty = true;
  }).observe(ui.field);
}

setup();
showProblems(decodeConfig(location.hash).problems);
apply(true);
installDebugHandle(() => app);
requestAnimationFrame(frame);
