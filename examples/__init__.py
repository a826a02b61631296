"""The example class: one submission per classic bug, built from the release (:mod:`examples.example_class`)."""
