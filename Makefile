# Barque's make targets. `make test` is what CI runs (.ci/run).
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: build dev test test-patched test-race vet fuzz

build:
	$(GO) build -o bin/barque ./cmd/barque

# The all-in-one local cluster running the web example (a Nomad job file).
dev:
	$(GO) run ./cmd/barque dev examples/web.nomad.hcl

# go vet, and gofmt: a file gofmt would change fails the build.
vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi

# The whole suite, bounded so that CI (2 cores) stays well under 20 minutes,
# then a short fuzzing run of each input parser.
test: vet
	$(GO) test -count=1 -timeout 18m ./...
	$(MAKE) test-patched
	$(MAKE) fuzz

# Barque's own tests of its patches to bbolt (third_party/bbolt/PATCHED.md:
# the leaf split and the one-sync commit with its crash recovery). The
# copy is a module of its own, so ./... above does not reach it.
test-patched:
	cd third_party/bbolt && $(GO) vet . && $(GO) test -count=1 -run 'Barque|Commit|Crash|MetaPage|ReadOnlyOpen' .

# Fuzz the job file parser and the manifest decoder (go test takes one
# -fuzz target at a time), FUZZTIME runs each: about ten seconds here. A
# count, not a duration: Go before 1.27 can fail a duration-bounded run
# with "context deadline exceeded" when the time is up (golang/go#75804).
# Inputs that find new coverage are minimized for a few hundred runs only:
# the default (a minute each) would spend the whole budget there. A crasher
# is written to testdata/fuzz/ of its package: fix it and commit the file
# as a seed.
FUZZTIME ?= 60000x
FUZZFLAGS = -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 200x -parallel 2
fuzz:
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzParse$$' ./api/jobspec
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzDecodeManifests$$' ./api
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzPeekTypeMeta$$' ./api

test-race:
	$(GO) test -race -count=1 -timeout 30m ./fsm/... ./api/... ./consensus/... ./gossip/... ./node/... ./internal/... ./test/robustness/...
CPBENCH_FLAGS ?=
RESULTS := bench/results

.PHONY: bench bench-controlplane bench-controlplane-short cpbench

bench: bench-controlplane

# Built first and run directly (not with go run) so Ctrl-C and SIGTERM reach
# cpbench itself, which then stops every member it started.
cpbench:
	$(GO) build -o bin/cpbench ./bench/cmd/cpbench

bench-controlplane: cpbench
	scripts/install-etcd.sh
	mkdir -p $(RESULTS)
	bin/cpbench -json $(RESULTS)/controlplane.json $(CPBENCH_FLAGS)

bench-controlplane-short: cpbench
	scripts/install-etcd.sh
	mkdir -p $(RESULTS)
	bin/cpbench -short -json $(RESULTS)/controlplane-short.json $(CPBENCH_FLAGS)

.PHONY: test-images

# Images the docker driver tests run (built FROM scratch: there is no registry).
test-images:
	GO=$(GO) scripts/build-test-images.sh

# Pod start latency (issue #3): three servers and one agent; exec and docker
# drivers beside fork/exec and docker run.
bench-podstart: test-images
	$(GO) build -o bin/podbench ./bench/cmd/podbench
	bin/podbench $(PODBENCH_FLAGS)

# Scheduler at scale (issue #4): three in-process replicas, hollow nodes,
# 1,000 nodes/10,000 pods and 5,000 nodes/30,000 pods.
bench-scheduler:
	$(GO) test -run XXX -bench "ScheduleDeployments|SchedulePods|SchedulingFailover|DeploymentScaleFromZero" -benchtime 1x -timeout 30m ./scheduler

# Node failure to replacement (issue #3): three servers and two agents; an
# agent holding a Deployment's pods is SIGKILLed with its tasks, five times.
bench-nodefail:
	$(GO) build -o bin/barque ./cmd/barque
	$(GO) build -o bin/nodefailbench ./bench/cmd/nodefailbench
	bin/nodefailbench -barque bin/barque $(NODEFAILBENCH_FLAGS)
