"""descent_torch: continue a descent run in PyTorch, and a PyTorch run in descent.

A descent checkpoint is a safetensors file whose ``__metadata__`` holds descent's layout as JSON
(see ``docs/checkpoint-format.md``). This module reads and writes it with torch and numpy only
(its own safetensors reader and writer; CRC-32 from zlib) and maps descent's optimizer and
scheduler states onto ``torch.optim``'s (python/README.md has the whole walk-through)::

    ck = descent_torch.load("run.safetensors")
    named = dict(model.named_parameters())          # names as in the checkpoint
    opt = getattr(torch.optim, ck.optimizer_class)(
        [{"params": [named[n] for n in g["params"]], **g["kwargs"]} for g in ck.param_groups])
    ck.load_into(model, opt)                        # parameters and optimizer state
    ...
    descent_torch.save("back.safetensors", model.named_parameters(), opt, extra=ck.extra, like=ck)

What maps: the plain torch.optim classes descent implements with torch's math (SGD, Adagrad,
Adadelta, RMSprop, Adam, AdamW, Adamax, NAdam, RAdam, SparseAdam, Rprop, ASGD, LBFGS) and the
lr_scheduler classes both have (StepLR, MultiStepLR, ExponentialLR, ConstantLR, LinearLR,
PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR, LambdaLR,
ReduceLROnPlateau). What does not, and says so with a BridgeError: descent's wrappers (Switch
and SWATS, Lookahead, Accumulate, Partition), its newer optimizers torch.optim lacks (Lion, LAMB,
...), the composite schedulers (SequentialLR, ChainedScheduler: torch keeps every inner
scheduler's own state, descent one closed form), and options the installed torch does not have
(torch 1.13's NAdam and RAdam take neither ``maximize`` nor ``decoupled_weight_decay``: their
default values are dropped, any other is refused).

Every number passes through unchanged: float64 state stays float64, step counts are exact
integers, hyper-parameters are copied as JSON doubles. The ``step`` tensors are made as torch
makes them (its default dtype); NAdam's ``mu_product`` and ASGD's ``eta`` and ``mu`` in the
parameter's dtype, which ``load_state_dict`` casts them to (so a float32 run rounds them).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import struct
import tempfile
import zlib
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

__all__ = ["BridgeError", "Checkpoint", "load", "save", "read_safetensors", "write_safetensors"]

FORMAT = "descent/checkpoint"
READ_VERSIONS = (1, 2)
WRITE_VERSION = 2
CRC_KEY = "descent.crc32"
CRC_PLACEHOLDER = "00000000"


class BridgeError(ValueError):
    """A checkpoint that cannot be read or written, or a state torch and descent do not share."""


# --------------------------------------------------------------------------------------------
# safetensors, with descent's CRC-32
# --------------------------------------------------------------------------------------------

_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
}
_DTYPE_NAMES = {v.newbyteorder("<") if v.itemsize > 1 else v: k for k, v in _DTYPES.items()}


def _dtype_name(a: np.ndarray) -> str:
    dt = a.dtype.newbyteorder("<") if a.dtype.itemsize > 1 else a.dtype
    name = _DTYPE_NAMES.get(dt)
    if name is None:
        raise BridgeError(f"cannot store a {a.dtype} array (descent reads {', '.join(_DTYPES)})")
    return name


def _crc_field(text: str) -> bytes:
    return json.dumps({CRC_KEY: text}, separators=(",", ":"))[1:-1].encode()


def read_safetensors(path: str) -> Tuple["OrderedDict[str, np.ndarray]", Dict[str, str]]:
    """Reads any safetensors file: its tensors (numpy arrays of their shape, in file order) and
    its string metadata. A file written by descent carries a CRC-32 (``descent.crc32``), which is
    checked; other producers' files (no CRC) are read as they are."""
    with open(path, "rb") as f:
        raw = f.read()
    bad = lambda why: BridgeError(f"{path}: not a valid safetensors file: {why}")  # noqa: E731
    if len(raw) < 8:
        raise bad(f"it has {len(raw)} bytes, fewer than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise bad(f"the header claims {n} bytes but {len(raw) - 8} follow (truncated?)")
    head = raw[8 : 8 + n]
    data = memoryview(raw)[8 + n :]
    try:
        header = json.loads(head.decode("utf-8"), object_pairs_hook=OrderedDict)
    except (UnicodeDecodeError, ValueError):
        raise bad("the header is not valid JSON") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("__metadata__ is not an object of strings")
    crc_text = metadata.get(CRC_KEY)
    if crc_text is not None:
        field = _crc_field(crc_text)
        at = head.find(field)
        if at < 0 or not isinstance(crc_text, str) or len(crc_text) != 8:
            raise bad(f"the {CRC_KEY} field is not where descent writes it")
        c = zlib.crc32(head[:at])
        c = zlib.crc32(_crc_field(CRC_PLACEHOLDER), c)
        c = zlib.crc32(head[at + len(field) :], c)
        c = zlib.crc32(data, c)
        if c != int(crc_text, 16):
            raise bad("the CRC-32 does not match: the file is corrupted")
    entries = []
    for name, info in header.items():
        dt = _DTYPES.get(info.get("dtype"))
        if dt is None:
            raise bad(f"tensor {name} has dtype {info.get('dtype')!r}, which descent does not use")
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        if end - begin != int(np.prod(shape, dtype=np.int64)) * dt.itemsize or end > len(data):
            raise bad(f"tensor {name}: its offsets do not hold shape {shape} of {info['dtype']}")
        entries.append((begin, end, name, dt, shape))
    tensors: "OrderedDict[str, np.ndarray]" = OrderedDict()
    expected = 0
    for begin, end, name, dt, shape in sorted(entries, key=lambda e: e[0]):
        if begin != expected:
            raise bad(f"tensor {name} starts at byte {begin}, expected {expected} (overlap or gap)")
        expected = end
        tensors[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(shape).copy()
    if expected != len(data):
        raise bad(f"the tensors cover {expected} bytes of data, the file has {len(data)}")
    meta = {k: v for k, v in metadata.items() if k != CRC_KEY}
    return tensors, meta


def write_safetensors(path: str, tensors: Dict[str, np.ndarray], metadata: Dict[str, str]) -> None:
    """Writes tensors (sorted by name) and string metadata as safetensors, the way descent does:
    compact JSON, padded with spaces to 8 bytes, CRC-32 over header and data with the
    ``descent.crc32`` field as ``00000000`` while it is computed. Atomic (a temporary file in the
    same folder, then a rename)."""
    header: Dict[str, Any] = {"__metadata__": {**metadata, CRC_KEY: CRC_PLACEHOLDER}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype.itemsize > 1 and a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        b = a.tobytes()
        header[name] = {
            "dtype": _dtype_name(a),
            "shape": [int(d) for d in a.shape],
            "data_offsets": [offset, offset + len(b)],
        }
        offset += len(b)
        blobs.append(b)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    head = text.encode("utf-8")
    head += b" " * ((8 - (8 + len(head)) % 8) % 8)
    c = zlib.crc32(head)
    for b in blobs:
        c = zlib.crc32(b, c)
    placeholder = _crc_field(CRC_PLACEHOLDER)
    at = head.find(placeholder)
    head = head[:at] + _crc_field(f"{c:08x}") + head[at + len(placeholder) :]
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".descent-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------------------------
# descent's tree: a JSON skeleton with {"$tensor": name} and {"$number": "NaN"|"Infinity"|...}
# --------------------------------------------------------------------------------------------


def _join(node: Any, tensors: Dict[str, np.ndarray], used: set) -> Any:
    if isinstance(node, list):
        return [_join(v, tensors, used) for v in node]
    if isinstance(node, dict):
        if len(node) == 1 and isinstance(node.get("$tensor"), str):
            name = node["$tensor"]
            if name not in tensors:
                raise BridgeError(f"tensor {name} is missing")
            used.add(name)
            # A reference is the tensor flattened; only a parameter's recorded shape means more.
            return tensors[name].reshape(-1)
        if len(node) == 1 and isinstance(node.get("$number"), str):
            return float(node["$number"].replace("Infinity", "inf"))
        return OrderedDict((k, _join(v, tensors, used)) for k, v in node.items())
    return node


def _split(node: Any, path: List[str], tensors: Dict[str, np.ndarray], owner: Dict[str, str]) -> Any:
    """The skeleton of ``node``; its arrays go to ``tensors``, named as descent names them: the
    path with ``slots`` left out (``optimizer.state.0.exp_avg``)."""
    if isinstance(node, torch.Tensor):
        node = node.detach().cpu().numpy()
    if isinstance(node, np.ndarray):
        name = ".".join(p for p in path if p != "slots")
        if name in owner:
            name = ".".join(path)
        if name in owner:
            raise BridgeError(f"two tensors would both be stored as {name}")
        owner[name] = ".".join(path)
        tensors[name] = node
        return {"$tensor": name}
    if isinstance(node, (bool, np.bool_)):
        return bool(node)
    if isinstance(node, (int, np.integer)):
        return int(node)
    if isinstance(node, (float, np.floating)):
        x = float(node)
        if math.isnan(x):
            return {"$number": "NaN"}
        if math.isinf(x):
            return {"$number": "Infinity" if x > 0 else "-Infinity"}
        if x == 0 and math.copysign(1, x) < 0:
            return {"$number": "-0"}
        return x
    if isinstance(node, dict):
        return OrderedDict((str(k), _split(v, path + [str(k)], tensors, owner)) for k, v in node.items())
    if isinstance(node, (list, tuple)):
        return [_split(v, path + [str(i)], tensors, owner) for i, v in enumerate(node)]
    if node is None or isinstance(node, str):
        return node
    raise BridgeError(f"cannot store a {type(node).__name__} at {'.'.join(path)}")


# --------------------------------------------------------------------------------------------
# Names and options
# --------------------------------------------------------------------------------------------


def _snake(key: str) -> str:
    out = ""
    for ch in key:
        out += "_" + ch.lower() if ch.isupper() else ch
    return out


def _camel(key: str) -> str:
    parts = key.split("_")
    joined = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return joined[:1].lower() + joined[1:]


# descent's options for every torch.optim class it implements, with descent's defaults (the
# bridge test checks this table against descent's descriptors). torch -> descent fills an option
# torch lacks with its default here; descent -> torch drops it when it is at this default.
DESCENT_OPTIONS: Dict[str, Dict[str, Any]] = {
    "SGD": dict(lr=1e-3, momentum=0, dampening=0, weightDecay=0, nesterov=False, maximize=False),
    "Adagrad": dict(lr=1e-2, lrDecay=0, weightDecay=0, initialAccumulatorValue=0, eps=1e-10, maximize=False),
    "Adadelta": dict(lr=1, rho=0.9, eps=1e-6, weightDecay=0, maximize=False),
    "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weightDecay=0, momentum=0, centered=False, maximize=False),
    "Adam": dict(lr=1e-3, betas=[0.9, 0.999], eps=1e-8, weightDecay=0, amsgrad=False, maximize=False),
    "AdamW": dict(lr=1e-3, betas=[0.9, 0.999], eps=1e-8, weightDecay=1e-2, amsgrad=False, maximize=False),
    "Adamax": dict(lr=2e-3, betas=[0.9, 0.999], eps=1e-8, weightDecay=0, maximize=False),
    "NAdam": dict(
        lr=2e-3, betas=[0.9, 0.999], eps=1e-8, weightDecay=0, momentumDecay=4e-3,
        decoupledWeightDecay=False, maximize=False,
    ),
    "RAdam": dict(lr=1e-3, betas=[0.9, 0.999], eps=1e-8, weightDecay=0, decoupledWeightDecay=False, maximize=False),
    "SparseAdam": dict(lr=1e-3, betas=[0.9, 0.999], eps=1e-8, maximize=False),
    "Rprop": dict(lr=1e-2, etas=[0.5, 1.2], stepSizes=[1e-6, 50], maximize=False),
    "ASGD": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weightDecay=0, maximize=False),
    "LBFGS": dict(
        lr=1, maxIter=20, maxEval=None, toleranceGrad=1e-7, toleranceChange=1e-9,
        historySize=100, lineSearchFn=None, maximize=False,
    ),
}

# Per-parameter scalars (0-dim tensors in torch, numbers in descent's `scalars`).
_SCALARS = {"NAdam": ("mu_product",), "ASGD": ("eta", "mu")}
# Group keys that are torch implementation switches, or written by torch's schedulers: no math.
_TORCH_ONLY = {
    "params", "foreach", "capturable", "differentiable", "fused",
    "initial_lr", "max_lr", "min_lr", "base_momentum", "max_momentum",
}
_PAIRS = {"betas", "etas", "step_sizes"}

# descent's wrappers: their state has a `type`, not an `optimizer`.
_WRAPPERS = {
    "Switch": "switching from one optimizer to another: Adam-then-SGD, SWATS",
    "Lookahead": "slow weights around an inner optimizer",
    "Accumulate": "gradient accumulation around an inner optimizer",
    "Partition": "parameters split over several optimizers",
}


def _torch_class(name: str):
    cls = getattr(torch.optim, name, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        return None
    return cls


def _torch_kwargs(cls) -> Dict[str, inspect.Parameter]:
    return {
        k: p for k, p in inspect.signature(cls.__init__).parameters.items()
        if k not in ("self", "params") and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


_STEP_KIND: Dict[str, Tuple[str, Tuple[int, ...]]] = {}


def _step_kind(name: str) -> Tuple[str, Tuple[int, ...]]:
    """How the installed torch keeps a parameter's step count for this class, found by stepping a
    throw-away optimizer once: ('tensor', shape), ('int', ()) or ('none', ()) (SGD counts none)."""
    if name not in _STEP_KIND:
        cls = _torch_class(name)
        p = torch.zeros(2)
        opt = cls([p], lr=1e-3)
        if name == "SparseAdam":
            p.grad = torch.sparse_coo_tensor([[0]], [0.0], (2,))
        else:
            p.grad = torch.zeros(2)
        opt.step()
        s = opt.state[p].get("step", None) if p in opt.state else None
        if isinstance(s, torch.Tensor):
            _STEP_KIND[name] = ("tensor", tuple(s.shape))
        elif s is None:
            _STEP_KIND[name] = ("none", ())
        else:
            _STEP_KIND[name] = ("int", ())
    return _STEP_KIND[name]


def _to_torch_value(key: str, v: Any) -> Any:
    if isinstance(v, list):
        return tuple(v) if key in _PAIRS else list(v)
    return v


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _descent_group_to_torch(cls_name: str, group: Dict[str, Any]) -> Dict[str, Any]:
    """A descent group's options as the installed torch's keyword arguments."""
    cls = _torch_class(cls_name)
    accepted = _torch_kwargs(cls)
    defaults = DESCENT_OPTIONS[cls_name]
    out: Dict[str, Any] = {}
    for key, value in group.items():
        if key == "params":
            continue
        tkey = _snake(key)
        if tkey in accepted:
            out[tkey] = _to_torch_value(tkey, value)
        elif key in defaults and _same(value, defaults[key]):
            continue  # an option torch lacks, at the value that makes it a no-op
        else:
            raise BridgeError(
                f"{cls_name}: descent's option {key} = {json.dumps(value)} has no counterpart in "
                f"torch {torch.__version__}'s {cls_name} (it takes {', '.join(accepted)}); only "
                f"{key} = {json.dumps(defaults.get(key))} can be carried over"
            )
    return out


def _torch_group_to_descent(cls_name: str, group: Dict[str, Any]) -> Dict[str, Any]:
    """A torch param group's options as descent's (every option descent's rule knows, no other)."""
    defaults = DESCENT_OPTIONS[cls_name]
    out: Dict[str, Any] = {}
    for tkey, value in group.items():
        if tkey in _TORCH_ONLY:
            continue
        key = _camel(tkey)
        if key in defaults:
            if isinstance(value, torch.Tensor):
                value = value.item()
            out[key] = list(value) if isinstance(value, tuple) else value
        elif value is False or value is None:
            continue
        else:
            raise BridgeError(
                f"{cls_name}: torch's option {tkey} = {value!r} has no counterpart in descent's "
                f"{cls_name} (descent's options: {', '.join(defaults)})"
            )
    for key, d in defaults.items():
        out.setdefault(key, list(d) if isinstance(d, list) else d)
    return out


# --------------------------------------------------------------------------------------------
# Schedulers
# --------------------------------------------------------------------------------------------

# descent's closed-form schedulers whose first track is lr from the group's initial lr.
_BASED_SCHEDULERS = {
    "StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LambdaLR",
}
# Their lr ignores the base (it follows max_lr / base_lr); momentum may be a second track.
_CYCLE_SCHEDULERS = {"CyclicLR", "OneCycleLR"}
_UNMAPPED_SCHEDULERS = {
    "SequentialLR": "torch keeps every inner scheduler's state, descent one closed form over them",
    "ChainedScheduler": "torch keeps every inner scheduler's state, descent one closed form over them",
    "MultiplicativeLR": "descent has no MultiplicativeLR",
}


def _scheduler_state_to_torch(sd: Dict[str, Any]) -> Dict[str, Any]:
    kind = sd.get("type")
    if kind == "ReduceLROnPlateau":
        out = {
            "last_epoch": int(sd["lastEpoch"]),
            "num_bad_epochs": int(sd["numBadEpochs"]),
            "cooldown_counter": int(sd["cooldownCounter"]),
        }
        best = sd.get("best")
        # None: no metric seen yet (descent reads null as the mode's start): torch keeps its own.
        if best is not None:
            out["best"] = float(best.replace("Infinity", "inf")) if isinstance(best, str) else float(best)
        return out
    if kind in _UNMAPPED_SCHEDULERS:
        raise BridgeError(f"scheduler {kind} is not mapped to torch: {_UNMAPPED_SCHEDULERS[kind]}")
    if kind not in _BASED_SCHEDULERS | _CYCLE_SCHEDULERS:
        raise BridgeError(f"scheduler {kind!r} is not one torch.optim.lr_scheduler has")
    k = int(sd["lastEpoch"])
    out: Dict[str, Any] = {"last_epoch": k, "_step_count": k + 1}
    if kind in _BASED_SCHEDULERS:
        out["base_lrs"] = [float(b) for b in sd["bases"][0]]
    if kind == "LambdaLR":
        # torch saves a lambda's __dict__ only for callable objects; None keeps the function.
        out["lr_lambdas"] = [None] * len(sd["bases"][0])
    return out


def _scheduler_state_to_descent(sched: Any, optimizer: torch.optim.Optimizer) -> Dict[str, Any]:
    kind = type(sched).__name__
    if kind == "ReduceLROnPlateau":
        best = float(sched.best)
        return {
            "type": kind,
            "lastEpoch": int(sched.last_epoch),
            "best": ("Infinity" if best > 0 else "-Infinity") if math.isinf(best) else best,
            "numBadEpochs": int(sched.num_bad_epochs),
            "cooldownCounter": int(sched.cooldown_counter),
        }
    if kind in _UNMAPPED_SCHEDULERS:
        raise BridgeError(f"scheduler {kind} is not mapped to descent: {_UNMAPPED_SCHEDULERS[kind]}")
    if kind not in _BASED_SCHEDULERS | _CYCLE_SCHEDULERS:
        raise BridgeError(f"descent has no scheduler {kind}")
    groups = optimizer.param_groups
    bases = [[float(g.get("initial_lr", g["lr"])) for g in groups]]
    if kind in _BASED_SCHEDULERS:
        bases = [[float(b) for b in sched.base_lrs]]
    elif getattr(sched, "cycle_momentum", False):
        # descent's cycles ignore their bases; the momentum track's is the group's momentum.
        bases.append([float(g["betas"][0] if "betas" in g else g["momentum"]) for g in groups])
    return {"type": kind, "lastEpoch": int(sched.last_epoch), "bases": bases}


# --------------------------------------------------------------------------------------------
# Reading a checkpoint
# --------------------------------------------------------------------------------------------


def _unmappable(opt: Any) -> Optional[str]:
    """Why descent's optimizer state cannot become a torch.optim one, or None if it can."""
    if opt is None:
        return "the checkpoint holds no optimizer state"
    if not isinstance(opt, dict):
        return f"the optimizer state is a {type(opt).__name__}, not a descent state dict"
    if "type" in opt and "optimizer" not in opt:
        kind = opt["type"]
        what = _WRAPPERS.get(kind, "a descent wrapper")
        return (
            f"the optimizer is descent's {kind} ({what}), which torch.optim has no counterpart of; "
            f"only plain torch.optim optimizers are mapped"
        )
    if opt.get("format") != "descent/optimizer":
        return f"the optimizer state has format {opt.get('format')!r}, not descent/optimizer"
    name = opt.get("optimizer")
    if name not in DESCENT_OPTIONS:
        if _torch_class(name) is not None:
            return f"this bridge does not map {name} yet (torch {torch.__version__} has torch.optim.{name}: add it to DESCENT_OPTIONS)"
        return f"descent's {name} has no counterpart in torch {torch.__version__}'s torch.optim (the bridge maps {', '.join(DESCENT_OPTIONS)})"
    if _torch_class(name) is None:
        return f"the installed torch {torch.__version__} has no torch.optim.{name}"
    return None


class Checkpoint:
    """A descent checkpoint as torch objects. ``params`` is ordered as the optimizer's
    parameters (flat order), then any the optimizer does not hold."""

    def __init__(self, path: str, version: int, params: "OrderedDict[str, torch.Tensor]",
                 optimizer: Any, optimizer_params: Optional[List[str]], scheduler: Any,
                 sampler: Any, extra: Any, tree: Dict[str, Any]):
        self.path = path
        self.version = version
        self.params = params
        self.descent_optimizer = optimizer
        self.descent_scheduler = scheduler
        self.optimizer_param_names = optimizer_params
        self.sampler = sampler
        self.extra = extra
        self.tree = tree
        self.optimizer_error = _unmappable(optimizer)
        if self.optimizer_error is None:
            try:
                self._map_optimizer()
            except BridgeError as e:
                self.optimizer_error = str(e)

    # -- optimizer ---------------------------------------------------------------------------
    def _need_optimizer(self) -> None:
        if self.optimizer_error is not None:
            raise BridgeError(f"{self.path}: {self.optimizer_error}")

    @property
    def optimizer_class(self) -> str:
        """torch.optim's class name (``"Adam"``)."""
        self._need_optimizer()
        return self.descent_optimizer["optimizer"]

    @property
    def param_groups(self) -> List[Dict[str, Any]]:
        """One entry per group: ``{"params": [names], "kwargs": {torch keyword arguments}}``."""
        self._need_optimizer()
        return self._groups

    @property
    def optimizer_kwargs(self) -> Dict[str, Any]:
        """torch's keyword arguments (of the first group; with several, see ``param_groups``)."""
        self._need_optimizer()
        return dict(self._groups[0]["kwargs"])

    @property
    def optimizer_state(self) -> Dict[str, Any]:
        """A dict ``torch.optim.<class>.load_state_dict`` accepts for an optimizer built over
        ``ck.params`` (in this order) with ``param_groups``."""
        self._need_optimizer()
        return self._torch_state

    def _map_optimizer(self) -> None:
        sd = self.descent_optimizer
        name = sd["optimizer"]
        names = self.optimizer_param_names
        n = len(sd["state"])
        if names is None or len(names) != n:
            raise BridgeError(f"the optimizer holds {n} parameters, the checkpoint names {names}")
        # The hyper-parameters live in torch's groups; a scheduler's base is torch's initial_lr.
        initial = None
        sched = self.descent_scheduler
        if isinstance(sched, dict) and sched.get("type") in _BASED_SCHEDULERS:
            initial = sched["bases"][0]
        groups, torch_groups = [], []
        # A parameter descent has not stepped has no state; torch may create one in its
        # constructor (Adagrad's sum and step 0), which its step then expects: take it from a
        # throw-away optimizer over zeros of the same shapes.
        initial_state: Dict[int, Dict[str, Any]] = {}
        for gi, g in enumerate(sd["paramGroups"]):
            kwargs = _descent_group_to_torch(name, g)
            probes = [torch.zeros_like(self.params[names[i]]) for i in g["params"]]
            probe = _torch_class(name)(probes, **kwargs)
            for i, q in zip(g["params"], probes):
                if probe.state.get(q):
                    initial_state[int(i)] = dict(probe.state[q])
            full = dict(probe.param_groups[0])
            full.pop("params")
            if initial is not None:
                full["initial_lr"] = float(initial[gi])
            full["params"] = [int(i) for i in g["params"]]
            torch_groups.append(full)
            ctor = dict(kwargs)
            if initial is not None:
                ctor["lr"] = float(initial[gi])  # the scheduler's base: torch starts from it
            groups.append({"params": [names[i] for i in g["params"]], "kwargs": ctor})
        state: Dict[int, Dict[str, Any]] = {}
        kind, shape = _step_kind(name) if name != "LBFGS" else ("none", ())
        for i, st in enumerate(sd["state"]):
            if st is None:
                if i in initial_state:
                    state[i] = initial_state[i]
                continue
            p = self.params[names[i]]
            out: Dict[str, Any] = {}
            if kind == "tensor":
                out["step"] = torch.full(shape, float(st["step"]), dtype=torch.get_default_dtype())
            elif kind == "int":
                out["step"] = int(st["step"])
            for key, v in st.get("scalars", {}).items():
                # load_state_dict casts them to the parameter's dtype; made in it, a float64
                # value never passes through a float32 default.
                out[key] = torch.tensor(float(v), dtype=p.dtype)
            for key, v in st.get("slots", {}).items():
                a = np.asarray(v)
                out[key] = torch.from_numpy(a.reshape(p.shape) if a.size == p.numel() else a)
            if name == "SGD":
                # torch's SGD marks a stepped parameter by this key, None without momentum.
                out.setdefault("momentum_buffer", None)
            state[i] = out
        if name == "LBFGS":
            lb = _lbfgs_to_torch(sd, self.params[names[0]]) if names else {}
            if lb:
                state[0] = lb
        self._groups = groups
        self._torch_state = {"state": state, "param_groups": torch_groups}

    # -- scheduler -----------------------------------------------------------------------------
    @property
    def scheduler_class(self) -> Optional[str]:
        s = self.descent_scheduler
        return s.get("type") if isinstance(s, dict) else None

    @property
    def scheduler_state(self) -> Optional[Dict[str, Any]]:
        """The entries of torch's scheduler state that descent's determines (``last_epoch``,
        ``base_lrs``, plateau counters): load it into a scheduler built with the same options,
        after the optimizer's state (``load_into`` does both, and also fills what depends on
        the options, CosineAnnealingWarmRestarts' ``T_cur`` and ``T_i``). None if there is none."""
        if self.descent_scheduler is None:
            return None
        return _scheduler_state_to_torch(self.descent_scheduler)

    # -- all at once -------------------------------------------------------------------------
    def load_into(self, module: Optional[torch.nn.Module] = None,
                  optimizer: Optional[torch.optim.Optimizer] = None,
                  scheduler: Any = None) -> None:
        """Copies the parameters into ``module`` (by name: every name must match, shapes too),
        then loads the optimizer state into ``optimizer`` (built over the module's parameters in
        ``ck.param_groups``' order and grouping) and the scheduler state into ``scheduler``
        (built with the run's options). Keys torch's schedulers put in the groups (OneCycleLR's
        ``max_lr``, ...) are kept; the groups' lr and momentum are the checkpoint's."""
        if module is not None:
            own = OrderedDict(module.named_parameters())
            missing = [n for n in self.params if n not in own]
            extra = [n for n in own if n not in self.params]
            if missing or extra:
                raise BridgeError(
                    f"{self.path}: the checkpoint has parameters {list(self.params)}, the module "
                    f"{list(own)} (missing in the module: {missing}; not in the checkpoint: {extra})"
                )
            for n, p in own.items():
                q = self.params[n]
                if tuple(q.shape) != tuple(p.shape):
                    raise BridgeError(f"{self.path}: parameter {n} has shape {list(q.shape)}, the module's {list(p.shape)}")
            with torch.no_grad():
                for n, p in own.items():
                    p.copy_(self.params[n])
        if optimizer is not None:
            self._need_optimizer()
            if type(optimizer).__name__ != self.optimizer_class:
                raise BridgeError(f"{self.path}: the checkpoint holds {self.optimizer_class} state, the optimizer is {type(optimizer).__name__}")
            kept = [{k: v for k, v in g.items() if k in _TORCH_ONLY and k != "params"} for g in optimizer.param_groups]
            optimizer.load_state_dict(self.optimizer_state)
            for g, old in zip(optimizer.param_groups, kept):
                for k, v in old.items():
                    g.setdefault(k, v)
        if scheduler is not None:
            state = self.scheduler_state
            if state is None:
                raise BridgeError(f"{self.path}: the checkpoint holds no scheduler state")
            if type(scheduler).__name__ != self.scheduler_class:
                raise BridgeError(f"{self.path}: the checkpoint holds {self.scheduler_class} state, the scheduler is {type(scheduler).__name__}")
            state = dict(state)
            if self.scheduler_class == "CosineAnnealingWarmRestarts":
                t_cur, t_i = 0, scheduler.T_0
                for _ in range(state["last_epoch"]):
                    t_cur += 1
                    if t_cur >= t_i:
                        t_cur, t_i = t_cur - t_i, t_i * scheduler.T_mult
                state.update(T_cur=t_cur, T_i=t_i)
            if self.scheduler_class != "ReduceLROnPlateau" and optimizer is not None:
                state["_last_lr"] = [g["lr"] for g in optimizer.param_groups]
            scheduler.load_state_dict(state)


def _lbfgs_to_torch(sd: Dict[str, Any], p0: torch.Tensor) -> Dict[str, Any]:
    sc = sd["groupState"][0]
    lb = sd.get("lbfgs") or {}
    if sc["func_evals"] == 0 and sc["n_iter"] == 0:
        return {}
    dt = p0.dtype
    t = lambda a: torch.from_numpy(np.asarray(a).reshape(-1))  # noqa: E731
    out: Dict[str, Any] = {"func_evals": int(sc["func_evals"]), "n_iter": int(sc["n_iter"])}
    if sc["n_iter"] > 0:
        out.update(
            d=t(lb["d"]), t=float(sc["t"]),
            old_dirs=[t(a) for a in lb["old_dirs"]], old_stps=[t(a) for a in lb["old_stps"]],
            ro=[torch.tensor(float(r), dtype=dt) for r in lb["ro"]],
            H_diag=torch.tensor(float(sc["H_diag"]), dtype=dt),
            prev_flat_grad=t(lb["prev_flat_grad"]), prev_loss=float(sc["prev_loss"]),
        )
    return out


def load(path: str) -> Checkpoint:
    """Reads a descent checkpoint (format version 1 or 2). The parameters and ``extra`` always
    load; what of the optimizer cannot become torch.optim state is in ``ck.optimizer_error`` and
    raised (a BridgeError) by the optimizer properties."""
    tensors, metadata = read_safetensors(path)
    if "descent" not in metadata:
        raise BridgeError(f"{path}: a safetensors file without descent metadata (use read_safetensors for plain weights)")
    # `-0` as a JSON number is the float -0.0 (Python would read the integer 0).
    header = json.loads(metadata["descent"], object_pairs_hook=OrderedDict,
                        parse_int=lambda t: -0.0 if t == "-0" else int(t))
    if header.get("format") != FORMAT:
        raise BridgeError(f"{path}: format is {header.get('format')!r}, not {FORMAT}")
    version = header.get("version")
    if version not in READ_VERSIONS:
        raise BridgeError(f"{path}: version {version} is not supported (this bridge reads {READ_VERSIONS})")
    used: set = set()
    tree = _join(header["tree"], tensors, used)
    unused = [n for n in tensors if n not in used]
    if unused:
        raise BridgeError(f"{path}: tensors {unused} are not referenced by the header")
    raw_params = tree.get("params")
    if not isinstance(raw_params, dict) or not raw_params:
        raise BridgeError(f"{path}: it has no parameters")
    opt = tree.get("optimizer")
    opt_sd = opt if isinstance(opt, dict) and opt.get("format") == "descent/optimizer" else None
    shapes: Dict[str, List[int]] = {}
    if version >= 2:
        order = header.get("optimizerParams")
        for n, info in (header.get("params") or {}).items():
            shapes[n] = list(info["shape"])
    else:
        # Version 1 names nothing: the optimizer's flat order is the order of the parameters.
        order = list(raw_params) if opt_sd is not None else None
        if opt_sd is not None:
            sizes = opt_sd.get("paramSizes") or []
            if len(sizes) != len(raw_params) or any(
                int(s) != raw_params[n].size for s, n in zip(sizes, raw_params)
            ):
                order = None
            elif opt_sd.get("paramShapes"):
                shapes = {n: list(s) for n, s in zip(raw_params, opt_sd["paramShapes"])}
    names = list(order or []) + [n for n in raw_params if n not in (order or [])]
    params: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    for n in names:
        a = np.asarray(raw_params[n])
        if a.dtype not in (np.float32, np.float64):
            raise BridgeError(f"{path}: parameter {n} is {a.dtype}, not float32 or float64")
        shape = shapes.get(n, list(a.shape))
        params[n] = torch.from_numpy(a.reshape(shape))
    return Checkpoint(path, version, params, opt, list(order) if order is not None else None,
                      tree.get("scheduler"), tree.get("sampler"), tree.get("extra"), tree)


# --------------------------------------------------------------------------------------------
# Writing a checkpoint
# --------------------------------------------------------------------------------------------


def _named(named_params: Any) -> "OrderedDict[str, torch.Tensor]":
    items = named_params.items() if hasattr(named_params, "items") else named_params
    out: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    for n, p in items:
        if n in out:
            raise BridgeError(f"parameter name {n} appears twice")
        if not isinstance(p, torch.Tensor) or p.dtype not in (torch.float32, torch.float64):
            raise BridgeError(f"parameter {n} must be a float32 or float64 tensor, got {getattr(p, 'dtype', type(p).__name__)}")
        out[n] = p
    return out


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().contiguous().numpy().copy()


def _optimizer_to_descent(optimizer: torch.optim.Optimizer, named: "OrderedDict[str, torch.Tensor]",
                          step: Optional[int]) -> Tuple[Dict[str, Any], List[str]]:
    name = type(optimizer).__name__
    if name not in DESCENT_OPTIONS or _torch_class(name) is not type(optimizer):
        raise BridgeError(f"descent has no counterpart of {type(optimizer).__module__}.{name} (it maps {', '.join(DESCENT_OPTIONS)})")
    by_id = {id(p): n for n, p in named.items()}
    flat: List[torch.Tensor] = []
    order: List[str] = []
    groups = []
    for gi, g in enumerate(optimizer.param_groups):
        idx = []
        for j, p in enumerate(g["params"]):
            if id(p) not in by_id:
                raise BridgeError(f"{name}: parameter {j} of group {gi} is not among the named parameters given to save")
            idx.append(len(flat))
            flat.append(p)
            order.append(by_id[id(p)])
        groups.append(OrderedDict([("params", idx), *_torch_group_to_descent(name, g).items()]))
    states: List[Any] = []
    scalars_of = _SCALARS.get(name, ())
    for p in flat:
        st = optimizer.state.get(p)
        if name == "LBFGS" or not st:
            states.append(None)
            continue
        s = st.get("step", None)
        if s is None:
            s = step if step is not None else 1  # torch's SGD counts no steps
        s = int(s.item()) if isinstance(s, torch.Tensor) else int(s)
        if s == 0:
            states.append(None)  # Adagrad's state exists before its first step
            continue
        scalars = OrderedDict((k, float(st[k].item() if isinstance(st[k], torch.Tensor) else st[k]))
                              for k in scalars_of if k in st)
        slots = OrderedDict((k, _np(v).reshape(-1)) for k, v in st.items()
                            if k != "step" and k not in scalars_of and isinstance(v, torch.Tensor))
        states.append(OrderedDict(step=s, scalars=scalars, slots=slots))
    sd: Dict[str, Any] = OrderedDict(
        format="descent/optimizer", version=1, optimizer=name, skippedSteps=0,
        paramSizes=[int(p.numel()) for p in flat], paramShapes=[list(p.shape) for p in flat],
        paramGroups=groups, state=states,
    )
    if name == "LBFGS":
        if len(optimizer.param_groups) != 1:
            raise BridgeError("LBFGS: descent's takes exactly one parameter group")
        st = optimizer.state.get(flat[0], {}) if flat else {}
        num = lambda x: float(x.item()) if isinstance(x, torch.Tensor) else float(x)  # noqa: E731
        n_iter = int(st.get("n_iter", 0))
        sd["groupState"] = [OrderedDict(
            func_evals=int(st.get("func_evals", 0)), n_iter=n_iter,
            t=num(st.get("t", 0)) if n_iter else 0.0,
            H_diag=num(st.get("H_diag", 1)) if n_iter else 1.0,
            prev_loss=num(st.get("prev_loss", 0)) if n_iter else 0.0,
        )]
        sd["state"] = [None] * len(flat)
        sd["lbfgs"] = OrderedDict(
            d=_np(st["d"]) if n_iter else None,
            prev_flat_grad=_np(st["prev_flat_grad"]) if n_iter else None,
            old_dirs=[_np(a) for a in st.get("old_dirs", [])] if n_iter else [],
            old_stps=[_np(a) for a in st.get("old_stps", [])] if n_iter else [],
            ro=[num(r) for r in st.get("ro", [])] if n_iter else [],
        )
    return sd, order


def save(path: str, named_params: Any, optimizer: Optional[torch.optim.Optimizer] = None,
         scheduler: Any = None, extra: Any = None, *, sampler: Any = None,
         step: Optional[int] = None, like: Optional[Checkpoint] = None,
         version: int = WRITE_VERSION) -> None:
    """Writes a checkpoint descent loads: ``named_params`` (a module's ``named_parameters()``,
    a dict, or (name, tensor) pairs), the optimizer's state mapped to descent's (every torch
    parameter must be among them), the scheduler's, and ``extra`` (``ck.extra`` round-trips).

    ``like``: the checkpoint the run came from; what torch does not keep is taken from it: the
    shape descent's optimizer saw each buffer with (``descent train`` steps flat vectors of a
    model's matrices; kept where the element count agrees) and the count of skipped steps.
    ``step``: the step count descent records for optimizers whose torch state counts none (SGD;
    default: the count the bridge gave torch, else 1). ``version`` 1 writes the older layout
    (1-D tensors, no names) for a descent that reads only that."""
    if version not in READ_VERSIONS:
        raise BridgeError(f"version must be one of {READ_VERSIONS}, got {version}")
    named = _named(named_params)
    tree: Dict[str, Any] = OrderedDict()
    order: Optional[List[str]] = None
    opt_sd = None
    if optimizer is not None:
        opt_sd, order = _optimizer_to_descent(optimizer, named, step)
        was = like.descent_optimizer if like is not None else None
        if isinstance(was, dict) and was.get("format") == "descent/optimizer":
            opt_sd["skippedSteps"] = int(was.get("skippedSteps", 0))
            old_names = like.optimizer_param_names or []
            old_shapes = dict(zip(old_names, was.get("paramShapes") or []))
            opt_sd["paramShapes"] = [
                list(old_shapes[n]) if n in old_shapes and int(np.prod(old_shapes[n], dtype=np.int64)) == size else shape
                for n, size, shape in zip(order, opt_sd["paramSizes"], opt_sd["paramShapes"])
            ]
    if version == 1 and order is not None:
        # Version 1 ties the optimizer's flat order to the order of the parameters.
        named = OrderedDict([*((n, named[n]) for n in order), *((n, p) for n, p in named.items() if n not in order)])
    tree["params"] = OrderedDict((n, _np(p)) for n, p in named.items())
    if opt_sd is not None:
        tree["optimizer"] = opt_sd
    if scheduler is not None:
        if optimizer is None:
            raise BridgeError("a scheduler's state needs its optimizer")
        tree["scheduler"] = _scheduler_state_to_descent(scheduler, optimizer)
    if sampler is not None:
        tree["sampler"] = sampler
    if extra is not None:
        tree["extra"] = extra
    tensors: Dict[str, np.ndarray] = {}
    skeleton = _split(tree, [], tensors, {})
    shapes = {n: list(p.shape) for n, p in named.items()}
    for key, a in list(tensors.items()):
        parts = key.split(".")
        if version == 1:
            tensors[key] = a.reshape(-1)
        elif parts[0] == "params":
            tensors[key] = a.reshape(shapes[key[len("params."):]])
        elif parts[:2] == ["optimizer", "state"] and order is not None and len(parts) == 4:
            shape = shapes[order[int(parts[2])]]
            tensors[key] = a.reshape(shape) if a.size == int(np.prod(shape, dtype=np.int64)) else a.reshape(-1)
    header: Dict[str, Any] = OrderedDict(format=FORMAT, version=version, tree=skeleton)
    if version >= 2:
        header["params"] = OrderedDict((n, {"shape": s}) for n, s in shapes.items())
        header["optimizerParams"] = order
    meta = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    write_safetensors(path, tensors, {"descent": meta})
