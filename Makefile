# Build, test and benchmark the exaone runtime. `make test` is what CI runs.
GO      ?= go
PKGS    := ./...
BIN     := bin/exaone
# Packages whose kernels get the arm64 run under qemu (kept small: qemu is slow).
ARM64_PKGS := ./asm/ ./quant/ ./gguf/
FUZZTIME ?= 10s

.PHONY: all build test test-noasm vet cross fuzz-smoke fuzz test-arm64 bench bench-compare ci clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/exaone

test:
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 30m $(PKGS)

# The generic (pure-Go) kernels, as other architectures get them.
test-noasm:
	CGO_ENABLED=0 $(GO) test -count=1 -short -tags noasm ./asm/ ./model/

vet:
	$(GO) vet $(PKGS)
	GOARCH=arm64 $(GO) vet $(PKGS)

cross:
	CGO_ENABLED=0 GOARCH=arm64 $(GO) build -o /dev/null ./cmd/exaone
	CGO_ENABLED=0 GOARCH=amd64 $(GO) build -o /dev/null ./cmd/exaone

# Each fuzz target for a short while (CI); `make fuzz FUZZTIME=10m` digs deeper.
FUZZ_TARGETS := $(shell grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)
fuzz-smoke:
	@for d in $(FUZZ_TARGETS); do \
	  for f in $$(grep -h '^func Fuzz' $$d/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$d $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$d || exit 1; \
	  done; \
	done

fuzz:
	$(MAKE) fuzz-smoke FUZZTIME=$(if $(filter 10s,$(FUZZTIME)),5m,$(FUZZTIME))

# arm64 kernels under qemu, with and without the dot-product extension.
# Plus a small end-to-end check of the decoder on each, and the mixed
# batch's per-sequence exactness on the NEON and dot-product paths.
ARM64_E2E := -run 'TestLogits/tiny-hybrid-random/bf16|TestSlidingCacheBounded|TestMixedBatch$$'
test-arm64:
	for cpu in cortex-a76 cortex-a53; do \
	  QEMU_CPU=$$cpu CGO_ENABLED=0 GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static $(ARM64_PKGS) || exit 1; \
	  QEMU_CPU=$$cpu CGO_ENABLED=0 GOARCH=arm64 $(GO) test -count=1 -short -exec qemu-aarch64-static $(ARM64_E2E) ./model/ || exit 1; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1s -count 3 ./asm/ ./model/ ./tokenizer/ ./sampler/

# llama.cpp's native build (../shared/anchors/llama.cpp-b9749, or
# LLAMA_CPP_DIR) and exaone on the same synthetic files, alternating test by
# test: llama-bench, llama-batched-bench and llama-server rows. Settings:
# TYPES, THREADS, REPS, QUICK=1, ... (go run ./cmd/bench-compare -help).
# Writes docs/bench-compare.md and the README's copy of it.
bench-compare:
	CGO_ENABLED=0 $(GO) run ./cmd/bench-compare

ci: vet test test-noasm cross fuzz-smoke test-arm64

clean:
	rm -rf bin
