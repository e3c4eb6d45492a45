# vngate's two commands. Each installs what it needs.
#   make demo   every provider flow end to end against the embedded simulator
#   make test   every test suite

CARGO ?= cargo

.PHONY: demo test lint

demo:
	$(CARGO) run --quiet -p vngate-tests --bin vngate-demo

test:
	bash scripts/test.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
