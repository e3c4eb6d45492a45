# vngate's two commands. Each installs what it needs.
#   make demo   every provider flow end to end against the embedded simulator
#   make test   every test suite

CARGO ?= cargo

.PHONY: demo test lint header install fuzz dist dist-cross dist-check bench campaign sizes load

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

# Builds the release library and installs it with its header and a pkg-config file:
#   make install PREFIX=/usr/local   then   cc app.c $$(pkg-config --cflags --libs vngate)
PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
install:
	$(CARGO) build --release -p vngate-ffi -p vngate-cli
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 target/release/vngate $(DESTDIR)$(PREFIX)/bin/vngate
	target/release/vngate man > $(DESTDIR)$(PREFIX)/share/man/man1/vngate.1
	target/release/vngate completions bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/vngate
	target/release/vngate completions zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_vngate
	target/release/vngate completions fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/vngate.fish
	install -m 755 target/release/libvngate.so $(DESTDIR)$(PREFIX)/lib/libvngate.so.$(VERSION)
	ln -sf libvngate.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libvngate.so.0
	ln -sf libvngate.so.0 $(DESTDIR)$(PREFIX)/lib/libvngate.so
	install -m 644 target/release/libvngate.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/vngate.h include/vngate_php.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' ffi/vngate.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/vngate.pc
	@echo "installed libvngate.so.0 in $(DESTDIR)$(PREFIX)/lib: run ldconfig if that directory is in /etc/ld.so.conf (as /usr/local/lib is), else set LD_LIBRARY_PATH or link with -Wl,-rpath,$(PREFIX)/lib"

# Builds into dist/ what users install, for glibc >= 2.17: the manylinux2014 wheel and sdist,
# the C library tarball, the PHP package with its library (scripts/dist.sh). `make test` builds
# it and tests the artefacts (scripts/test-dist.sh).
dist:
	bash scripts/dist.sh

# After `make dist`: the same artefacts for aarch64 (glibc >= 2.17) and for x86_64 and aarch64
# musl (Alpine), and the PHP package with every platform's library (scripts/dist-cross.sh;
# about 30 minutes). `make dist-check` tests them as shipped: in an arm64 Debian root under
# qemu, with musl-gcc and qemu for musl (scripts/dist-check.sh). Neither is part of `make test`.
dist-cross:
	bash scripts/dist-cross.sh

dist-check:
	bash scripts/dist-check.sh

# Fuzzes every reply parser, callback parser and C entry point for FUZZ_SECONDS each (default
# 30), starting from the simulator's real replies in fuzz/seeds. Installs cargo-fuzz if needed.
FUZZ_SECONDS ?= 30
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	for target in callbacks replies ffi; do \
		mkdir -p fuzz/corpus/$$target && \
		$(CARGO) fuzz run -s none $$target fuzz/corpus/$$target fuzz/seeds/$$target -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# The money campaign: CAMPAIGN_SCHEDULES (default 100) seeded schedules of money calls from
# Python workers and the command, with provider faults, SIGKILLs, tampered and duplicated
# callbacks and concurrent reconcilers, on SQLite then PostgreSQL, each checked against the
# simulator's truth (scripts/campaign.sh). `make test` runs a short one.
CAMPAIGN_SCHEDULES ?= 100
campaign:
	CAMPAIGN_SCHEDULES=$(CAMPAIGN_SCHEDULES) bash scripts/campaign.sh

# The benchmark (not a test): every front and the peers against a fixed-reply server on
# loopback, as ratios to the keep-alive limit measured in the same rounds (scripts/bench.sh).
bench:
	bash scripts/bench.sh

# What the release C library and the Python extension are made of (core, C ABI, HTTP, TLS,
# the journal and each backend); the library without the journal, its size against 3 MiB and
# the C tests that need no journal run against it (scripts/sizes.sh; release builds, minutes).
sizes:
	bash scripts/sizes.sh

# A bigger load on `vngate serve` than `make test` runs (serve/tests/load.rs): LOAD_REQUESTS
# (default 20000) from LOAD_CLIENTS (default 64) kept-alive clients, a release build; latency
# percentiles, and nothing lost.
LOAD_REQUESTS ?= 20000
LOAD_CLIENTS ?= 64
load:
	LOAD_REQUESTS=$(LOAD_REQUESTS) LOAD_CLIENTS=$(LOAD_CLIENTS) $(CARGO) test --release -p vngate-serve --test load -- --nocapture
