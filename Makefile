# vngate's two commands. Each installs what it needs.
#   make demo   every provider flow end to end against the embedded simulator
#   make test   every test suite

CARGO ?= cargo

.PHONY: demo test lint header

demo:
	$(CARGO) run --quiet -p vngate-tests --bin vngate-demo

test:
	bash scripts/test.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Regenerates include/vngate.h and include/vngate_php.h with the pinned cbindgen; a test
# fails while the committed headers differ from what it generates.
header:
	VNGATE_WRITE_HEADERS=1 $(CARGO) build -p vngate-ffi
