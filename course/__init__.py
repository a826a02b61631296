"""Helpers the course notebooks share: loading data (`course.data`) and plots (`course.plots`)."""
