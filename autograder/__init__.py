"""The course's grading side: nbgrader configuration, instructor commands and test checks."""
