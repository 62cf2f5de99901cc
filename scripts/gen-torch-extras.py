"""Reference values from torch.optim (Debian's python3-torch 1.13) for descent's tests of
schedulers, clipping and sparse optimizers. Run: /usr/bin/python3 scripts/gen-torch-extras.py
Writes test/fixtures/torch-extras.json. Not needed by CI (the output is committed)."""
import json
import math
import torch

torch.set_default_dtype(torch.float64)
S = torch.optim.lr_scheduler


def lr_series(make_opt, make_sched, steps, metrics=None, momentum_key=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = make_opt([p])
    sched = make_sched(opt)
    lrs, moms = [], []
    for k in range(steps):
        g = opt.param_groups[0]
        lrs.append(g['lr'])
        if momentum_key == 'momentum':
            moms.append(g['momentum'])
        elif momentum_key == 'beta1':
            moms.append(g['betas'][0])
        p.grad = torch.zeros(1)
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
    out = {'lr': lrs}
    if momentum_key:
        out['momentum'] = moms
    return out


sgd = lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)
adam = lambda ps: torch.optim.Adam(ps, lr=0.01)
plateau_metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79995] * 3

schedulers = {
    'StepLR': (sgd, lambda o: S.StepLR(o, step_size=7, gamma=0.5), {'type': 'StepLR', 'stepSize': 7, 'gamma': 0.5}),
    'MultiStepLR': (sgd, lambda o: S.MultiStepLR(o, milestones=[5, 12, 30], gamma=0.3), {'type': 'MultiStepLR', 'milestones': [5, 12, 30], 'gamma': 0.3}),
    'ExponentialLR': (sgd, lambda o: S.ExponentialLR(o, gamma=0.95), {'type': 'ExponentialLR', 'gamma': 0.95}),
    'ConstantLR': (sgd, lambda o: S.ConstantLR(o, factor=0.25, total_iters=8), {'type': 'ConstantLR', 'factor': 0.25, 'totalIters': 8}),
    'LinearLR': (sgd, lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=15), {'type': 'LinearLR', 'startFactor': 0.1, 'endFactor': 0.9, 'totalIters': 15}),
    'CosineAnnealingLR': (sgd, lambda o: S.CosineAnnealingLR(o, T_max=17, eta_min=0.01), {'type': 'CosineAnnealingLR', 'tMax': 17, 'etaMin': 0.01}),
    'CosineAnnealingWarmRestarts': (sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1, eta_min=0.001), {'type': 'CosineAnnealingWarmRestarts', 't0': 5, 'tMult': 1, 'etaMin': 0.001}),
    'CosineAnnealingWarmRestarts_mult2': (sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2), {'type': 'CosineAnnealingWarmRestarts', 't0': 3, 'tMult': 2}),
    'PolynomialLR': (sgd, lambda o: S.PolynomialLR(o, total_iters=20, power=2.0), {'type': 'PolynomialLR', 'totalIters': 20, 'power': 2.0}),
    'OneCycleLR_three_phase_linear': (adam, lambda o: S.OneCycleLR(o, max_lr=0.05, total_steps=40, pct_start=0.25, anneal_strategy='linear', three_phase=True), {'type': 'OneCycleLR', 'maxLr': 0.05, 'totalSteps': 40, 'pctStart': 0.25, 'annealStrategy': 'linear', 'threePhase': True}, 'beta1'),
    'OneCycleLR_adam_cos': (adam, lambda o: S.OneCycleLR(o, max_lr=0.02, total_steps=40), {'type': 'OneCycleLR', 'maxLr': 0.02, 'totalSteps': 40}, 'beta1'),
    'CyclicLR_triangular': (sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6), {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 4, 'stepSizeDown': 6}, 'momentum'),
    'CyclicLR_triangular2': (sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode='triangular2'), {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 5, 'mode': 'triangular2'}, 'momentum'),
    'CyclicLR_exp_range': (sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode='exp_range', gamma=0.97), {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 5, 'mode': 'exp_range', 'gamma': 0.97}, 'momentum'),
}

out = {'torch_version': torch.__version__, 'steps': 40, 'schedulers': {}}
for name, spec in schedulers.items():
    make_opt, make_sched, options = spec[0], spec[1], spec[2]
    mk = spec[3] if len(spec) > 3 else None
    series = lr_series(make_opt, make_sched, 40, momentum_key=mk)
    out['schedulers'][name] = {'optimizer': 'SGD' if make_opt is sgd else 'Adam', 'baseLr': 0.1 if make_opt is sgd else 0.01, 'options': options, **series}

# Composite schedulers (built in code on both sides).
def seq(o):
    a = S.LinearLR(o, start_factor=0.2, total_iters=5)
    b = S.CosineAnnealingLR(o, T_max=30)
    return S.SequentialLR(o, schedulers=[a, b], milestones=[5])
out['schedulers']['SequentialLR_warmup_cosine'] = {'optimizer': 'SGD', 'baseLr': 0.1, **lr_series(sgd, seq, 40)}

def chain(o):
    return S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=6), S.ExponentialLR(o, gamma=0.9)])
out['schedulers']['ChainedScheduler_constant_exponential'] = {'optimizer': 'SGD', 'baseLr': 0.1, **lr_series(sgd, chain, 40)}

out['schedulers']['LambdaLR_inverse'] = {'optimizer': 'SGD', 'baseLr': 0.1, **lr_series(sgd, lambda o: S.LambdaLR(o, lr_lambda=lambda k: 1.0 / (1 + 0.3 * k)), 40)}

out['plateau'] = {
    'metrics': plateau_metrics[:40],
    'options': {'mode': 'min', 'factor': 0.5, 'patience': 2, 'threshold': 1e-4, 'cooldown': 1, 'minLr': 0.01},
    **lr_series(sgd, lambda o: S.ReduceLROnPlateau(o, mode='min', factor=0.5, patience=2, threshold=1e-4, cooldown=1, min_lr=0.01), 40, metrics=plateau_metrics),
}
out['plateau_abs_max'] = {
    'metrics': [-m for m in plateau_metrics[:40]],
    'options': {'mode': 'max', 'factor': 0.2, 'patience': 1, 'threshold': 0.01, 'thresholdMode': 'abs'},
    **lr_series(sgd, lambda o: S.ReduceLROnPlateau(o, mode='max', factor=0.2, patience=1, threshold=0.01, threshold_mode='abs'), 40, metrics=[-m for m in plateau_metrics]),
}

# clip_grad_norm_ / clip_grad_value_ on fixed gradients.
gen = torch.Generator().manual_seed(3)
grads = [torch.randn(7, generator=gen) * 3, torch.randn(4, generator=gen)]
clip = []
for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.7, math.inf), (2.0, 3.0)]:
    ps = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    clip.append({'maxNorm': max_norm, 'normType': 'inf' if norm_type == math.inf else norm_type, 'total': total.item(), 'clipped': [p.grad.tolist() for p in ps]})
ps = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
for p, g in zip(ps, grads):
    p.grad = g.clone()
torch.nn.utils.clip_grad_value_(ps, 1.5)
out['clip'] = {'grads': [g.tolist() for g in grads], 'norm': clip, 'value': {'clipValue': 1.5, 'clipped': [p.grad.tolist() for p in ps]}}

# Sparse optimizers: an embedding table (rows x cols) with a few rows touched per step.
rows, cols, steps = 12, 3, 25
gen = torch.Generator().manual_seed(7)
w0 = torch.randn(rows, cols, generator=gen)
touched = [sorted(torch.randperm(rows, generator=gen)[: 1 + k % 4].tolist()) for k in range(steps)]
values = [torch.randn(len(t), cols, generator=gen).tolist() for t in touched]
sparse_cases = {}
for name, make in {
    'SparseAdam': lambda ps: torch.optim.SparseAdam(ps, lr=0.05, betas=(0.8, 0.95), eps=1e-6),
    'Adagrad': lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    'SGD': lambda ps: torch.optim.SGD(ps, lr=0.1),
}.items():
    w = torch.nn.Parameter(w0.clone())
    opt = make([w])
    traj = []
    for k in range(steps):
        idx = torch.tensor([touched[k]], dtype=torch.long)
        w.grad = torch.sparse_coo_tensor(idx, torch.tensor(values[k]), (rows, cols))
        opt.step()
        traj.append(w.detach().flatten().tolist())
    sparse_cases[name] = traj
out['sparse'] = {'rows': rows, 'cols': cols, 'w0': w0.flatten().tolist(), 'touched': touched, 'values': values, 'trajectories': sparse_cases,
                 'options': {'SparseAdam': {'lr': 0.05, 'betas': [0.8, 0.95], 'eps': 1e-6}, 'Adagrad': {'lr': 0.1, 'lrDecay': 0.01, 'initialAccumulatorValue': 0.1}, 'SGD': {'lr': 0.1}}}

with open('test/fixtures/torch-extras.json', 'w') as f:
    json.dump(out, f)
print('wrote test/fixtures/torch-extras.json')
