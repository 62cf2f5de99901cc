"""The torch side of test/torch-bridge.test.ts, in one process for every case.

Reads a plan (JSON, written by the test) and, for each case, the checkpoints descent wrote:
``<id>.init`` (parameters and optimizer before any step) and ``<id>.A`` (after k descent steps).
Writes, through python/descent_torch.py:
  <id>.R  A loaded into torch and saved again at once (the round trip must be exact),
  <id>.R1 the same in format version 1, and <id>.R1R that file read and written again,
  <id>.B  A continued n steps in torch (the test compares it with n+k steps in descent),
  <id>.C  init run k steps in torch, <id>.T  the same torch run after n+k steps (the test
          continues C n steps in descent and compares with T).
Prints a JSON report: the torch version, the NAdam formula torch uses, what each class accepts,
and each case's status ("ok", "refused" with the bridge's message, or "error").

Gradients are a function of the parameters and the step s, computed in float64 exactly as the
test computes them (+, -, * and / by powers of two, so bit-identical in both languages), then
rounded to the case's dtype: g = c*(p - t) + e(s) over the parameters' elements in name order.
"""

import json
import os
import sys
import traceback
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import descent_torch as dt  # noqa: E402

DTYPES = {"float32": torch.float32, "float64": torch.float64}


class MLP(torch.nn.Module):
    def __init__(self, shapes):
        super().__init__()
        for name, shape in shapes.items():
            mod, attr = name.split(".")
            if not hasattr(self, mod):
                self.add_module(mod, torch.nn.Module())
            getattr(self, mod).register_parameter(attr, torch.nn.Parameter(torch.zeros(shape)))


def elements(plan, name):
    off = 0
    for n, shape in plan["mlp"].items():
        size = int(np.prod(shape))
        if n == name:
            return np.arange(off, off + size)
        off += size
    raise KeyError(name)


def coefficients(i):
    return 0.5 + (i % 7) / 4, ((i % 5) - 2) / 4


def dense_grad(plan, name, p, s, noise=True):
    i = elements(plan, name)
    c, t = coefficients(i)
    x = p.detach().double().numpy().reshape(-1)
    g = c * (x - t)
    if noise:
        g = g + (((i * 7 + s * 13) % 17) - 8) / 64
    return torch.from_numpy(g.reshape(tuple(p.shape))).to(p.dtype)


def loss(plan, named):
    total = 0.0
    for name, p in named.items():
        i = elements(plan, name)
        c, t = coefficients(i)
        d = p.detach().double().numpy().reshape(-1) - t
        for term in (0.5 * c * d * d).tolist():
            total += term
    return total


def sparse_rows(p, s):
    rows = p.shape[0]
    return [r for r in range(rows) if (r + s) % 3 != 0]


def set_grads(plan, case, named, s):
    for name, p in named.items():
        g = dense_grad(plan, name, p, s)
        if case.get("sparse"):
            rows = sparse_rows(p, s)
            idx = torch.tensor([rows], dtype=torch.int64)
            p.grad = torch.sparse_coo_tensor(idx, g[rows], tuple(p.shape))
        else:
            p.grad = g


def metric(s):
    return 1 / (1 + s % 4)


def lr_lambda(k):
    return 1 / (1 + 0.5 * k)


SCHEDULER_NAMES = {"tMax": "T_max", "t0": "T_0", "tMult": "T_mult"}


def make_scheduler(case, opt):
    spec = case.get("scheduler")
    if not spec:
        return None
    kind = spec["type"]
    cls = getattr(torch.optim.lr_scheduler, kind)
    kwargs = {SCHEDULER_NAMES.get(k, dt._snake(k)): v for k, v in spec["options"].items()}
    if kind == "LambdaLR":
        kwargs["lr_lambda"] = lr_lambda
    return cls(opt, **kwargs)


def nadam_step(opt, formula):
    """torch's single-tensor NAdam step, with mu_product_next as torch 1.13 computes it
    (mu_product * mu * mu_next) or as torch >= 2.0 and descent do (mu_product * mu_next)."""
    with torch.no_grad():
        for g in opt.param_groups:
            beta1, beta2 = g["betas"]
            lr, wd, eps, md = g["lr"], g["weight_decay"], g["eps"], g["momentum_decay"]
            for p in g["params"]:
                grad = p.grad
                st = opt.state[p]
                if len(st) == 0:
                    st["step"] = torch.tensor(0.0)
                    st["mu_product"] = torch.tensor(1.0)
                    st["exp_avg"] = torch.zeros_like(p)
                    st["exp_avg_sq"] = torch.zeros_like(p)
                st["step"] += 1
                step = st["step"].item()
                bias_correction2 = 1 - beta2 ** step
                if wd != 0:
                    grad = grad.add(p, alpha=wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
                st["mu_product"] *= mu
                mp = st["mu_product"].item()
                mp_next = mp * mu * mu_next if formula == "torch<2.0" else mp * mu_next
                st["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
                st["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = st["exp_avg_sq"].div(bias_correction2).sqrt().add_(eps)
                p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mp))
                p.addcdiv_(st["exp_avg"], denom, value=-lr * mu_next / (1.0 - mp_next))


def nadam_formula():
    """Which NAdam the installed torch runs: one parameter, three steps, against both."""
    torch.set_default_dtype(torch.float64)
    try:
        out = {}
        for which in ("torch", "torch<2.0", "torch>=2.0"):
            p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
            opt = torch.optim.NAdam([p], lr=0.1)
            for s in range(3):
                p.grad = torch.tensor([0.5, 0.25 * s - 0.3])
                opt.step() if which == "torch" else nadam_step(opt, which)
            out[which] = p.detach().clone()
        for which in ("torch<2.0", "torch>=2.0"):
            if torch.allclose(out["torch"], out[which], rtol=1e-14, atol=0):
                return which
        return "unknown"
    finally:
        torch.set_default_dtype(torch.float32)


class Run:
    """A torch model, optimizer and scheduler built from a descent checkpoint by the bridge."""

    def __init__(self, plan, case, path):
        self.plan, self.case = plan, case
        self.ck = dt.load(path)
        dtype = DTYPES[case["dtype"]]
        self.module = MLP({n: s for n, s in plan["mlp"].items()}).to(dtype)
        self.named = OrderedDict(self.module.named_parameters())
        cls = getattr(torch.optim, self.ck.optimizer_class)
        self.opt = cls([{"params": [self.named[n] for n in g["params"]], **g["kwargs"]}
                        for g in self.ck.param_groups])
        self.sched = make_scheduler(case, self.opt)
        self.ck.load_into(self.module, self.opt, self.sched)

    def steps(self, first, last, nadam=None):
        named = self.named
        for s in range(first, last + 1):
            if self.case.get("closure"):
                def closure():
                    for name, p in named.items():
                        p.grad = dense_grad(self.plan, name, p, s, noise=False)
                    return loss(self.plan, named)
                self.opt.step(closure)
            else:
                set_grads(self.plan, self.case, named, s)
                if nadam:
                    nadam_step(self.opt, nadam)
                else:
                    self.opt.step()
            if self.sched is not None:
                if isinstance(self.sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    self.sched.step(metric(s))
                else:
                    self.sched.step()

    def save(self, path, steps, version=None):
        dt.save(path, self.named, self.opt, self.sched, extra=self.ck.extra,
                sampler=self.ck.sampler, step=steps,
                version=version or self.plan["checkpointVersion"])


def run_case(plan, case, formula, where):
    f = lambda tag: os.path.join(where, f"{case['id']}.{tag}.safetensors")  # noqa: E731
    k, n = case["k"], case["n"]
    # The old NAdam: torch steps with its own formula, expectations with the other one.
    old_nadam = case["algorithm"] == "NAdam" and formula == "torch<2.0"
    torch.set_default_dtype(DTYPES[case["dtype"]])
    try:
        init = dt.load(f("init"))
        if init.optimizer_error is not None:
            return {"status": "refused", "message": init.optimizer_error}
        r = Run(plan, case, f("A"))
        r.save(f("R"), k)
        # The older layout: written (1-D, unnamed), read back, written in the current one.
        r.save(f("R1"), k, version=1)
        Run(plan, case, f("R1")).save(f("R1R"), k)
        b = Run(plan, case, f("A"))
        b.steps(k + 1, k + n)
        b.save(f("B"), k + n)
        if old_nadam:
            e = Run(plan, case, f("A"))
            e.steps(k + 1, k + n, nadam="torch<2.0")
            e.save(f("EB"), k + n)
        t = Run(plan, case, f("init"))
        t.steps(1, k)
        t.save(f("C"), k)
        t.steps(k + 1, k + n, nadam="torch>=2.0" if old_nadam else None)
        t.save(f("T"), k + n)
        return {"status": "ok"}
    except dt.BridgeError as e:
        return {"status": "refused", "message": str(e)}
    except Exception:
        return {"status": "error", "message": traceback.format_exc()}
    finally:
        torch.set_default_dtype(torch.float32)


def continue_train(plan):
    """A `descent train` checkpoint into torch and straight back (what a user who moves a run to
    torch and returns without stepping does): `descent train --resume` must not see the trip."""
    try:
        ck = dt.load(plan["train"]["from"])
        params = OrderedDict((n, torch.nn.Parameter(t.clone())) for n, t in ck.params.items())
        cls = getattr(torch.optim, ck.optimizer_class)
        opt = cls([{"params": [params[n] for n in g["params"]], **g["kwargs"]} for g in ck.param_groups])
        ck.load_into(None, opt)
        dt.save(plan["train"]["to"], params, opt, extra=ck.extra, sampler=ck.sampler, like=ck,
                version=plan["checkpointVersion"])
        return {"status": "ok", "optimizer": ck.optimizer_class, "params": {n: list(t.shape) for n, t in ck.params.items()}}
    except Exception:
        return {"status": "error", "message": traceback.format_exc()}


def main():
    plan_path = sys.argv[1]
    with open(plan_path) as fh:
        plan = json.load(fh)
    where = os.path.dirname(os.path.abspath(plan_path))
    formula = nadam_formula()
    report = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "nadamFormula": formula,
        "classes": {},
        "schedulers": {},
        "optionTable": {},
        "cases": {},
    }
    for name in plan["algorithms"]:
        cls = dt._torch_class(name)
        report["classes"][name] = None if cls is None else sorted(dt._torch_kwargs(cls))
    for name in plan["schedulerTypes"]:
        report["schedulers"][name] = hasattr(torch.optim.lr_scheduler, name)
    # The bridge's table of descent's options against descent's own defaults.
    for name, defaults in plan["descentDefaults"].items():
        mine = dt.DESCENT_OPTIONS.get(name)
        report["optionTable"][name] = "missing" if mine is None else ("ok" if mine == defaults else f"bridge has {json.dumps(mine)}")
    for case in plan["cases"]:
        report["cases"][case["id"]] = run_case(plan, case, formula, where)
    if plan.get("train"):
        report["train"] = continue_train(plan)
    for r in plan["refusals"]:
        try:
            ck = dt.load(os.path.join(where, f"{r['id']}.A.safetensors"))
            ck.scheduler_state if r["what"] == "scheduler" else ck.optimizer_state
            report["cases"][r["id"]] = {"status": "ok"}
        except dt.BridgeError as e:
            report["cases"][r["id"]] = {"status": "refused", "message": str(e)}
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main()
