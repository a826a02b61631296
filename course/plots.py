"""Figures the notebooks show: digits, learning curves, weights, confusion matrices.

Every function returns its ``matplotlib.figure.Figure`` so a notebook can show
it and a test can inspect what was drawn.
"""

import matplotlib.pyplot as plt
import numpy as np

IMAGE_SIDE = 28


def _as_images(X):
    """(N, 784) or (N, 785) with a leading bias column -> (N, 28, 28)."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[1] == IMAGE_SIDE * IMAGE_SIDE + 1:
        X = X[:, 1:]
    if X.shape[1] != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"expected rows of 784 pixels (or 785 with a bias column), got {X.shape[1]}")
    return X.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def _grid(n, ncols, size=1.4):
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def show_digits(X, titles=None, ncols=10, suptitle=None):
    """Show rows of ``X`` as 28x28 grey images, one per axis.

    Parameters
    ----------
    X : ndarray, shape (N, 784) or (N, 785)
        Images; a leading bias column is dropped.
    titles : sequence of str, optional
        One title per image (e.g. its label).
    """
    images = _as_images(X)
    fig, axes = _grid(len(images), ncols)
    for i, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_templates(W, titles=None, ncols=10, suptitle=None):
    """Show each row of a weight matrix as a 28x28 image, red positive, blue negative.

    Parameters
    ----------
    W : ndarray, shape (K, 784) or (K, 785)
        One weight vector per class or hidden unit; a bias column is dropped.
    """
    images = _as_images(W)
    fig, axes = _grid(len(images), ncols)
    for i, (ax, image) in enumerate(zip(axes, images)):
        # A symmetric colour range per image makes 0 white, so sign is readable.
        limit = max(float(np.abs(image).max()), 1e-12)
        ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(i if titles is None else titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_learning_curves(loss, train_accuracy, test_accuracy=None, per="batch", eval_label="test"):
    """Loss (left) and accuracy (right) against training steps.

    Parameters
    ----------
    loss, train_accuracy : sequence of float
        One value per step (batch or epoch).
    test_accuracy : sequence of float, optional
        Accuracy on held-out data, same length as ``train_accuracy``.
    per : str
        What one step is, for the x-axis label.
    eval_label : str
        What the held-out data is ("test", "validation"), for the legend.
    """
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax_loss.plot(np.asarray(loss, dtype=float), label="train loss")
    ax_loss.set_xlabel(per)
    ax_loss.set_ylabel("cross-entropy")
    ax_loss.legend()
    ax_acc.plot(np.asarray(train_accuracy, dtype=float), label="train (this batch)" if per == "batch" else "train")
    if test_accuracy is not None and len(test_accuracy):
        ax_acc.plot(np.asarray(test_accuracy, dtype=float), label=eval_label)
    ax_acc.set_xlabel(per)
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_ylim(0, 1)
    ax_acc.legend()
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, n_classes=10):
    """Counts ``C[i, j]`` of examples of class ``i`` predicted as ``j``."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def plot_confusion_matrix(y_true, y_pred, n_classes=10):
    """Show the confusion matrix with its counts written in the cells."""
    counts = confusion_matrix(y_true, y_pred, n_classes)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(counts, cmap="Blues")
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=8,
                    color="white" if c > counts.max() / 2 else "black")
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"accuracy {accuracy:.1%} on {counts.sum()} examples")
    fig.tight_layout()
    return fig


def show_misclassified(X, y_true, y_pred, n=20, ncols=10):
    """Show the first ``n`` examples whose prediction is wrong, titled 'true->pred'."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)[:n]
    if wrong.size == 0:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified examples", ha="center", va="center")
        return fig
    titles = [f"{t}\u2192{p}" for t, p in zip(y_true[wrong], y_pred[wrong])]
    return show_digits(np.asarray(X)[wrong], titles=titles, ncols=ncols,
                       suptitle="misclassified (true\u2192predicted)")


def plot_hyperparameter_search(values, validation_accuracy, chosen, name="learning rate", log_scale=True):
    """Validation accuracy against one hyperparameter, with the chosen value marked.

    Parameters
    ----------
    values : sequence of float
        The values tried, e.g. learning rates.
    validation_accuracy : sequence of float
        Accuracy on the validation set for each value, in [0, 1].
    chosen : float
        The value picked (one of ``values``); drawn as a red dot.
    name : str
        The hyperparameter, for the x-axis label.
    log_scale : bool
        Log x-axis, for values that grow by factors (learning rates, lambdas).

    Raises
    ------
    ValueError
        If the lengths differ or ``chosen`` is not one of ``values``.
    """
    values = np.asarray(values, dtype=float)
    validation_accuracy = np.asarray(validation_accuracy, dtype=float)
    if values.shape != validation_accuracy.shape:
        raise ValueError(f"{values.size} values but {validation_accuracy.size} accuracies: give one accuracy per value")
    matches = np.flatnonzero(np.isclose(values, chosen, rtol=1e-12, atol=0))
    if matches.size == 0:
        raise ValueError(f"the chosen {name} {chosen} is not one of the values tried {values.tolist()}")
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.plot(values, validation_accuracy, "o-", label="validation accuracy")
    ax.plot(values[matches[0]], validation_accuracy[matches[0]], "o", color="red", markersize=10,
            label=f"chosen: {chosen:g}")
    if log_scale:
        ax.set_xscale("log")
    ax.set_xlabel(name)
    ax.set_ylabel("validation accuracy")
    ax.legend()
    fig.tight_layout()
    return fig
