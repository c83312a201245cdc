# The course in two commands: `make lab` (work) and `make test` (check). See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
LOCK   := requirements-lock.txt
EXTRAS := dev,hub,jets
DATA   := $(or $(COURSE_DATA_DIR),data)/FashionMNIST/raw/t10k-labels-idx1-ubyte
JETS   := $(or $(COURSE_DATA_DIR),data)/jets/blackbox.npz
LABSET := $(VENV)/share/jupyter/lab/settings/overrides.json
CHP    := $(VENV)/share/course-hub/node_modules/.bin/configurable-http-proxy
LAB_ARGS ?=
comma  := ,
ROOT_ARG := $(if $(filter 0,$(shell id -u)),--allow-root)  # Jupyter refuses root without it
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
ASSIGNMENTS := $(sort $(wildcard notebooks/assignments/*.ipynb))
SLIDES    := $(wildcard slides/*.ipynb)
WEB    := $(VENV)/share/course-web

.PHONY: help setup jets blackbox lock lab test lint unit notebooks grade grade-test repeat homework site browser bench seeds warm slides clean hub hub-test

help:
	@echo "make lab    set up (once) and start JupyterLab in the course folder"
	@echo "make test   set up (once); lint, unit tests, every notebook and assignment as its student"
	@echo "            version with the solutions pasted back, grading, the site, browser and hub tests"
	@echo "make bench  run each notebook headless, report times and key numbers in build/bench.md;"
	@echo "            then the ten-class anomaly benchmark and VAE comparison (build/anomaly.md)"
	@echo "make seeds  02 to 06 again with two other seeds: every assert must hold (build/seeds.md)"
	@echo "make grade  rehearse grading: nbgrader autograde + gradebook on three submissions per assignment"
	@echo "make homework  student versions of notebooks and assignments (nbgrader) in build/homework"
	@echo "make site   the course as static HTML in build/site/ (course map, notebooks, deck)"
	@echo "make slides export the lecture deck to build/slides/index.html (reveal.js, offline)"
	@echo "make warm   train or load every model of the notebooks and slides (before a class)"
	@echo "make hub    the course's JupyterHub with the nbgrader exchange on this machine (as root)"
	@echo "make blackbox  a new black box for a4 from a secret seed (a class; about a minute)"
	@echo "make lock   refresh $(LOCK), the semester's tested versions (then make test)"
	@echo "make clean  remove build output and caches (keeps .venv and data)"

# Everything (the course, dev + grading tools, the hub, the jets) at the versions of the lock;
# reinstalled only when the lock or the package list changes. LOCK= (empty) installs the newest
# versions in pyproject.toml's ranges instead.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(LOCK),$(BIN)/python -m pip install --quiet -r $(LOCK))
	$(BIN)/python -m pip install --quiet $(if $(LOCK),--no-deps) -e '.[$(EXTRAS)]'
	@touch $@

# The lock for every platform and Python 3.10-3.13 (uv's universal resolution, a requirements
# file pip reads): the newest versions in pyproject.toml's ranges, under this machine's pip
# constraints if it has any (so that it installs here). Refresh with `make lock`, then `make test`,
# and commit the lock if it passes; tests/test_resolution.py checks it installs from wheels on
# every platform. uv runs without this machine's pip/uv configuration (its local indexes).
lock: $(STAMP)
	PIP_CONFIG_FILE=/dev/null UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never $(BIN)/uv pip compile \
	  pyproject.toml --universal --python $(BIN)/python --python-version 3.10 $(foreach e,$(subst $(comma), ,$(EXTRAS)),--extra $(e)) --upgrade \
	  $(addprefix --constraint ,$(shell $(BIN)/python -m pip config get global.constraint 2>/dev/null)) \
	  --custom-compile-command 'make lock' --quiet -o $(LOCK)

$(WEB)/.complete-2: | $(STAMP)
	scripts/fetch-web-assets.sh $(WEB)

$(DATA): | $(STAMP)
	scripts/prepare-data.sh $(BIN)/python

# Jets for notebook 08 and a4: Pythia 8 + FastJet, once, on every core (about 3.5 minutes on two):
# notebook 08's jets, a4's dijet events and its black box.
# `make jets` makes the missing files; jets.load refuses files of an older format and says so.
# Where Pythia is not installed (no wheels: Windows, Linux aarch64) it says how to get them instead.
$(JETS): | $(STAMP)
	$(BIN)/python scripts/setup_course.py jets

jets: | $(STAMP)
	$(BIN)/python scripts/generate_jets.py

# a4's black box, made anew: QCD dijet events of its own with, perhaps, a W' of a hidden mass,
# from a secret random seed (BLACKBOX_SEED=<number> to choose one; setup makes the public
# self-study box); the truth goes to data/jets/blackbox-truth.json, readable by its owner only
# (give it to the account that autogrades).
blackbox: | $(STAMP)
	$(BIN)/python scripts/generate_jets.py blackbox --seed $(or $(BLACKBOX_SEED),random)

# JupyterLab without the news prompt or update check (jupyterlab-settings/overrides.json), for lab and hub.
$(LABSET): jupyterlab-settings/overrides.json | $(STAMP)
	scripts/install-lab-settings.sh $(BIN)/python

setup: $(STAMP) $(DATA) $(JETS) $(LABSET) $(WEB)/.complete-2

# JupyterHub's proxy, from npm (node 18 or newer), once.
$(CHP): | $(STAMP)
	npm install --silent --no-audit --no-fund --prefix $(VENV)/share/course-hub 'configurable-http-proxy@>=4.6'

# The course's JupyterHub with the nbgrader exchange on 127.0.0.1:8000, as root (README, "Teaching a class").
hub: setup $(CHP)
	$(BIN)/python hub/start.py

# The same hub in Chromium: release, fetch, submit, collect, autograde, permissions, the book's
# nbgitpuller link (as root).
hub-test: setup site $(CHP)
	COURSE_HEADLESS=1 $(BIN)/python -m pytest tests/test_hub.py -m hub

lab: setup
	$(BIN)/jupyter lab $(ROOT_ARG) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check course_utils tests scripts notebooks slides hub

unit: setup
	COURSE_HEADLESS=1 $(BIN)/python -m pytest tests -m "not browser and not grading and not repeat and not hub"

# Every notebook and assignment once, under `pytest --nbval-lax`, as its nbgrader student version
# with the solutions pasted back (build/nbval, written by tests/test_homework.py): each stub fails
# its check with feedback, the worked solution passes it (and the hidden tests); every other cell
# runs as in the source, and any error fails its cell. tests/conftest.py's hooks keep each student
# version executed up to its first exercise in build/executed for the site. Then the deck, last,
# executed once for the slides and the site (an error in any cell fails the step): it loads the
# models the notebooks have just stored in the cache. Each notebook's key numbers go to
# build/metrics/notebooks.jsonl for `make repeat`. Two notebooks at a time, one CPU thread each
# (pytest-xdist, a whole notebook per worker, in course order): these small models gain a third
# from a second thread, two notebooks at once nearly twice (measured: 1.47 times the training
# steps per second on two cores), and the kernels' Python and plotting overlap too.
notebooks: setup
	@mkdir -p build/metrics && rm -f build/metrics/notebooks.jsonl
	$(BIN)/python tests/test_homework.py build/nbval
	COURSE_HEADLESS=1 OMP_NUM_THREADS=1 COURSE_METRICS_FILE=$(CURDIR)/build/metrics/notebooks.jsonl \
	  PYTHONPATH=$(CURDIR)/tests$(if $(PYTHONPATH),:$(PYTHONPATH)) $(BIN)/python -m pytest \
	  -p conftest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:cacheprovider \
	  -n 2 --dist loadfile build/nbval $(NBVAL_ARGS)
	COURSE_HEADLESS=1 $(BIN)/python scripts/export.py slides --out build/slides

# Same seed, same machine, same numbers: notebook 07 again cold, 01 and 07 warm (after notebooks),
# with one CPU thread as make notebooks ran them (a sum over two threads may round differently);
# 07 and 01 side by side (one thread each: 201 s one after the other on a fresh clone here).
repeat: setup
	COURSE_HEADLESS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests/test_repeatable.py -m repeat -n 2

# Grading as an instructor grades: nbgrader autograde + gradebook on five submissions per
# assignment (untouched, solved, one wrong answer, a cheat, tampered check cells); the gradebooks
# stay in build/grading/.
grade: setup
	COURSE_HEADLESS=1 $(BIN)/python scripts/grade.py

# The same loop as a test: solved = every auto-graded point, untouched = 0, wrong = minus that exercise,
# patched checks and tampered check cells = 0 (hub/course_autograde.py, nbgrader's add_missing_cells).
# Two assignments at a time, one CPU thread each: much of grading is single-threaded (nbgrader,
# kernels starting), so two at once keep both cores busy; only points are compared, not digits.
grade-test: setup
	COURSE_HEADLESS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests/test_grading.py -m grading -n 2

# The course book (Jupyter Book, book/): every notebook as its student version, executed up to its
# first exercise (the copies make notebooks keeps; nothing runs again), search, launch links, the deck.
site: setup
	COURSE_HEADLESS=1 $(BIN)/python scripts/export.py site --out build/site

# JupyterLab, the deck and the book in Debian's Chromium (installed here if missing): axe-core's
# WCAG 2.1 AA rules on every page, figures' descriptions, search and navigation by keyboard.
# Two tests at a time (each worker its own Chromium, JupyterLab and site server on free ports):
# 267 s one after the other, 205 s two at a time, measured here.
browser: setup site
	@test -x /usr/bin/chromium || scripts/apt-install.sh chromium
	$(BIN)/python -m pytest tests/test_browser.py -m browser -n 2

test: lint unit notebooks repeat grade-test browser hub-test

# Student versions of every notebook and assignment, generated by nbgrader: build/homework/.
homework: setup
	$(BIN)/python scripts/homework.py --out build/homework

# The lecture deck as a static reveal.js page that renders offline: build/slides/index.html.
slides: setup
	rm -rf build/slides
	COURSE_HEADLESS=1 $(BIN)/python scripts/export.py slides --out build/slides
	@echo "open build/slides/index.html (works offline; after make warm it builds in seconds)"

# Train (or load) every model the notebooks and slides use, so that in class they start instantly.
warm: setup
	COURSE_HEADLESS=1 $(BIN)/python scripts/bench.py --warm $(NOTEBOOKS) $(ASSIGNMENTS) $(SLIDES)

# The notebooks whose claims rest on one training run each, again with every seed shifted by 1 and
# by 2 (COURSE_SEED_SHIFT): every assert must hold for each; their numbers side by side in
# build/seeds.md. Against the course cache, so a second run only loads.
SEEDED = notebooks/02_nonlinear_stacked_autoencoders.ipynb notebooks/03_convolutional_autoencoders.ipynb \
	notebooks/04_recurrent_autoencoders.ipynb notebooks/05_denoising_autoencoders.ipynb \
	notebooks/06_variational_autoencoders.ipynb
seeds: setup
	COURSE_HEADLESS=1 $(BIN)/python scripts/bench.py --seeds 1,2 $(SEEDED)

# Both parts always run; the target fails if either misses a target.
bench: setup
	COURSE_HEADLESS=1 $(BIN)/python scripts/bench.py $(NOTEBOOKS) $(ASSIGNMENTS) $(SLIDES); a=$$?; \
	$(BIN)/python scripts/anomaly_bench.py; b=$$?; exit $$((a || b))

clean:
	rm -rf build .pytest_cache .ruff_cache
