"""Loading the course data sets, from wherever a notebook runs.

Notebooks run from ``source/``, ``notebooks/``, an nbgrader ``autograded/``
folder or a grading sandbox, so paths relative to the notebook would break.
The data folder is found next to this package instead, or at ``$NN_COURSE_DATA``
when that is set.
"""

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
KEYS = ("X_train", "y_train", "X_test", "y_test")
# Pinned so that a truncated download or a bad merge is caught at load time.
SHA256 = {
    "mini_mnist": "679fdc45937fcdfbc8e3d9e44af3a0100cfe201520564cd45c4b2329a0488d0c",
}


class DataError(RuntimeError):
    """A data file is missing or damaged; the message says how to restore it."""


def data_dir():
    """The folder that holds the data sets: ``$NN_COURSE_DATA`` or ``<repo>/data``."""
    return Path(os.environ.get("NN_COURSE_DATA") or REPO_ROOT / "data")


def dataset_path(dataset_name):
    """Path of ``<data>/<NAME>/<name>.npz``, the layout the original loader expects."""
    return data_dir() / dataset_name.upper() / f"{dataset_name}.npz"


def _how_to_restore(dataset_name):
    script = f"data/build_{dataset_name}.py"  # where the course repository keeps one
    rel = f"data/{dataset_name.upper()}/{dataset_name}.npz"
    if not (REPO_ROOT / ".git").exists():  # the student pack: no history, no build script
        return f"restore {rel} from the course's zip you unpacked"
    fix = f"restore it with `git checkout -- {rel}`"
    if script and (REPO_ROOT / script).is_file():
        fix += f" or rebuild it with `python {script}`"
    return fix


def load_dataset(dataset_name="mini_mnist"):
    """Load a course data set.

    Parameters
    ----------
    dataset_name : str
        Name of the data set; ``"mini_mnist"`` is 4,000 training and 1,000
        test images of 28x28 digits.

    Returns
    -------
    X_train : ndarray, shape (N_train, 784)
        Pixels in [0, 1], float64.
    y_train : ndarray, shape (N_train,)
        Integer labels 0..9.
    X_test : ndarray, shape (N_test, 784)
    y_test : ndarray, shape (N_test,)

    Raises
    ------
    DataError
        If the file is missing, truncated or not the pinned version; the
        message says how to restore it.
    """
    path = dataset_path(dataset_name)
    if not path.is_file():
        raise DataError(f"{path} is missing: {_how_to_restore(dataset_name)}.")
    raw = path.read_bytes()
    expected = SHA256.get(dataset_name)
    if expected and hashlib.sha256(raw).hexdigest() != expected:
        raise DataError(
            f"{path} is damaged or not the course's version (its sha256 differs "
            f"from the pinned one): {_how_to_restore(dataset_name)}."
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            return tuple(data[key] for key in KEYS)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise DataError(f"{path} cannot be read ({err}): {_how_to_restore(dataset_name)}.") from err


def add_bias_column(X):
    """Prepend a column of ones: (B, D) -> (B, D+1), so a bias is one more weight."""
    return np.c_[np.ones(X.shape[0]), X]


def train_validation_split(X, y, validation_fraction=0.2, seed=0):
    """Hold out a validation set from the training set, the same fraction of every class.

    Hyperparameters are chosen on the validation set, so the test set can be
    used once, at the end, for an unbiased estimate.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
        Training inputs.
    y : ndarray of int, shape (N,)
        Training labels.
    validation_fraction : float
        Share of each class held out, strictly between 0 and 1.
    seed : int
        Seeds which examples are held out.

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarray
        Both parts keep the original order of the examples.

    Raises
    ------
    ValueError
        If the fraction is not strictly between 0 and 1, ``X`` and ``y`` differ
        in length, or a class would end up with no example in either part.
    """
    X, y = np.asarray(X), np.asarray(y)
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be strictly between 0 and 1, got {validation_fraction}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels: pass the inputs and labels of one set")
    rng = np.random.default_rng(seed)
    held_out = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        n_held = round(validation_fraction * len(members))
        if not 0 < n_held < len(members):
            raise ValueError(f"class {label} has {len(members)} examples: too few to hold out "
                             f"{validation_fraction:.0%} and keep some for training")
        held_out[rng.choice(members, size=n_held, replace=False)] = True
    return X[~held_out], y[~held_out], X[held_out], y[held_out]
