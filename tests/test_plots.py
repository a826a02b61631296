"""course.plots: each figure shows what it claims to show."""

import numpy as np
import pytest

from course import plots


def _images(fig):
    return [ax.images[0].get_array() for ax in fig.axes if ax.get_visible() and ax.images]


def test_show_digits_draws_each_row_as_a_28x28_image_with_its_title():
    X = np.random.default_rng(0).random((12, 784))
    fig = plots.show_digits(X, titles=list(range(12)), ncols=5)
    images = _images(fig)
    assert len(images) == 12
    assert all(np.array_equal(img, row.reshape(28, 28)) for img, row in zip(images, X))
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == [str(i) for i in range(12)]
    assert sum(not ax.get_visible() for ax in fig.axes) == 3   # 3 rows of 5, 12 used


def test_show_templates_drops_the_bias_and_centres_the_colour_scale():
    W = np.random.default_rng(1).normal(size=(10, 785))
    fig = plots.show_templates(W)
    images = [ax.images[0] for ax in fig.axes if ax.get_visible()]
    assert len(images) == 10
    for image, row in zip(images, W):
        assert np.array_equal(image.get_array(), row[1:].reshape(28, 28))
        vmin, vmax = image.get_clim()
        assert vmin == -vmax == -np.abs(row[1:]).max()


def test_show_templates_rejects_rows_that_are_not_images():
    with pytest.raises(ValueError, match="784 pixels"):
        plots.show_templates(np.zeros((3, 100)))


def test_learning_curves_plot_the_given_values():
    loss, train, test = [2.3, 1.0, 0.5], [0.1, 0.5, 0.8], [0.1, 0.6, 0.85]
    fig = plots.plot_learning_curves(loss, train, test)
    ax_loss, ax_acc = fig.axes
    assert np.array_equal(ax_loss.lines[0].get_ydata(), loss)
    assert [list(line.get_ydata()) for line in ax_acc.lines] == [train, test]
    assert ax_acc.get_ylim() == (0, 1)
    assert [line.get_label() for line in ax_acc.lines] == ["train (this batch)", "test"]
    relabelled = plots.plot_learning_curves(loss, train, test, eval_label="validation")
    assert relabelled.axes[1].lines[1].get_label() == "validation"


def test_confusion_matrix_counts_pairs():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    counts = plots.confusion_matrix(y_true, y_pred, 3)
    assert np.array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    fig = plots.plot_confusion_matrix(y_true, y_pred, 3)
    ax = fig.axes[0]
    assert np.array_equal(ax.images[0].get_array(), counts)
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "1", "1", "2"]
    assert ax.get_title() == "accuracy 66.7% on 6 examples"


def test_show_misclassified_shows_only_the_wrong_ones_titled_true_to_predicted():
    X = np.random.default_rng(2).random((5, 784))
    fig = plots.show_misclassified(X, [1, 2, 3, 4, 5], [1, 7, 3, 9, 5])
    images = _images(fig)
    assert len(images) == 2
    assert np.array_equal(images[0], X[1].reshape(28, 28)) and np.array_equal(images[1], X[3].reshape(28, 28))
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["2\u21927", "4\u21929"]


def test_show_misclassified_says_so_when_nothing_is_wrong():
    fig = plots.show_misclassified(np.zeros((2, 784)), [1, 2], [1, 2])
    assert fig.axes[0].texts[0].get_text() == "no misclassified examples"


def test_hyperparameter_search_plots_each_accuracy_and_marks_the_choice():
    rates, accuracy = [0.01, 0.1, 1.0], [0.8, 0.9, 0.85]
    fig = plots.plot_hyperparameter_search(rates, accuracy, chosen=0.1)
    ax, = fig.axes
    curve, marker = ax.lines
    assert np.array_equal(curve.get_xdata(), rates) and np.array_equal(curve.get_ydata(), accuracy)
    assert (list(marker.get_xdata()), list(marker.get_ydata())) == ([0.1], [0.9])
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "validation accuracy"


@pytest.mark.parametrize("values, accuracy, chosen, reason", [
    ([0.1, 1.0], [0.9], 0.1, "one accuracy per value"),
    ([0.1, 1.0], [0.9, 0.8], 0.3, "not one of the values tried"),
])
def test_hyperparameter_search_refuses_inconsistent_input(values, accuracy, chosen, reason):
    with pytest.raises(ValueError, match=reason):
        plots.plot_hyperparameter_search(values, accuracy, chosen)
