"""``fast_init`` keeps the generated dataclass behaviour: defaults, order, frozenness."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from localllm._frozen import fast_init
from localllm.types import Delta, Usage
from localllm.wire.sse import ServerSentEvent


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:
    a: str
    b: int = 1
    c: tuple[int, ...] = ()


Fast = fast_init(dataclasses.make_dataclass(
    "Fast", [("a", str), ("b", int, 1), ("c", tuple, ())], frozen=True, slots=True))


def test_same_arguments_defaults_and_values_as_the_generated_init() -> None:
    for args, kw in (((), {"a": "x"}), (("x", 2), {}), (("x",), {"c": (1,)})):
        ref, fast = Reference(*args, **kw), Fast(*args, **kw)
        assert dataclasses.astuple(ref) == dataclasses.astuple(fast)
    with pytest.raises(TypeError):
        Fast()  # the field without a default stays required
    with pytest.raises(TypeError):
        Fast("x", nope=1)


def test_instances_stay_frozen_hashable_copyable_and_picklable() -> None:
    d = Delta("tok", usage=Usage(1, 2, 3), finish_reason="stop")
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.content = "other"  # type: ignore[misc]
    assert d == Delta(content="tok", usage=Usage(1, 2, 3), finish_reason="stop")
    assert hash(d) == hash(copy.copy(d))
    assert pickle.loads(pickle.dumps(d)) == d == copy.deepcopy(d)
    assert dataclasses.replace(d, content="x").content == "x"
    assert Delta() == Delta("", "", (), None, None, None, None)
    assert ServerSentEvent("x") == ServerSentEvent("x", "message", None, None)


def test_default_factory_runs_per_instance_and_yields_to_a_passed_value() -> None:
    spec = [("x", list, dataclasses.field(default_factory=list)), ("y", int, 0)]
    ref = dataclasses.make_dataclass("R", spec, frozen=True, slots=True)
    fast = fast_init(dataclasses.make_dataclass("F", spec, frozen=True, slots=True))
    a, b = fast(), fast()
    assert a.x == [] and a.x is not b.x  # a new list each time, as the generated init does
    given = [1]
    assert fast(given, 2).x is given and fast(y=3).y == 3
    assert dataclasses.astuple(ref()) == dataclasses.astuple(fast())


def test_rejects_fields_it_cannot_reproduce() -> None:
    for spec, extra in (
        ([("x", int, dataclasses.field(default=0, init=False))], {}),
        ([("x", int, dataclasses.field(default=0, kw_only=True))], {}),
        ([("x", int)], {"__post_init__": lambda self: None}),
    ):
        cls = dataclasses.make_dataclass("F", spec, namespace=extra, frozen=True, slots=True)
        with pytest.raises(TypeError):
            fast_init(cls)
