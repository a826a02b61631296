"""The grader's view of the learner's kernel: which lookups go to the kernel, and when."""

import pytest

from autograder.sandbox import remote


class FakeKernel:
    """Answers lookups as the bridge would, and remembers what was asked."""

    def __init__(self):
        self.asked = []

    def ask(self, request, arrays):
        self.asked.append(request["name"])
        if request["name"] == "np_softmax":
            value = {"t": "callable", "h": f"h{len(self.asked)}", "name": "np_softmax", "is_class": False}
        else:
            value = {"t": "num", "v": 0.5}
        return {"value": value}, remote._Decoder(self, {})


@pytest.fixture
def namespace():
    return remote.TrustedNamespace(FakeKernel(), {"__name__": "__grader__"})


def test_a_function_is_looked_up_once_per_learner_cell(namespace):
    first = namespace["np_softmax"]
    assert namespace["np_softmax"] is first
    assert namespace.kernel.asked == ["np_softmax"]
    namespace.learner_cell_ran()            # it may have redefined np_softmax
    assert namespace["np_softmax"] is not first
    assert namespace.kernel.asked == ["np_softmax", "np_softmax"]


def test_data_is_fetched_at_each_use(namespace):
    assert namespace["learning_rate"] == namespace["learning_rate"] == 0.5
    assert namespace.kernel.asked == ["learning_rate", "learning_rate"]


def test_builtins_never_reach_the_kernel(namespace):
    assert eval("len([1, 2])", namespace) == 2
    assert namespace.kernel.asked == []
