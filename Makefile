# forage — every target works on a fresh machine that has only Go 1.26:
# the go command fetches modules and pinned tools itself.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
FUZZTIME    ?= 10s
BENCHCOUNT  ?= 5
STRESSTIME  ?= 45s
# Modules in this repository: the library, and the benchmark suite with its peers.
MODULES     := . bench

.PHONY: all test fmt-check vet unit unit-oversub unit-alwayspush race stress stress-short fuzz bench bench-pgo bench-deque lint cover crossbuild model

all: test

## test: what CI runs — formatting, vet, race-enabled unit tests of both modules
## (and of the scheduler again at GOMAXPROCS=8), cross-builds, the SPIN models,
## and a short stress run.
test: fmt-check vet unit unit-oversub unit-alwayspush crossbuild model stress-short

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do [ -f $$m/go.mod ] || continue; \
	  echo "go vet ($$m)"; (cd $$m && $(GO) vet ./...) || exit 1; done

unit:
	@for m in $(MODULES); do [ -f $$m/go.mod ] || continue; \
	  echo "go test -race ($$m)"; (cd $$m && $(GO) test -race -count=1 -timeout 8m ./...) || exit 1; done

race: unit

## unit-oversub: the scheduler's tests again with GOMAXPROCS=8, above the CPU
## count on small machines such as the 2-CPU one we develop on
## (TestDefaultPool assumed a default of GOMAXPROCS workers, and only a run
## like this showed it).
unit-oversub:
	GOMAXPROCS=8 $(GO) test -race -count=1 -timeout 8m ./scheduler/

## unit-alwayspush: the scheduler's tests in the build that offers every fork
## to thieves at once (-tags forage_alwayspush, docs/design.md §9): its join
## has code of its own (the push, the sleeper check and the pop back written
## out), which the default build never compiles.
unit-alwayspush:
	$(GO) vet -tags forage_alwayspush ./scheduler/
	$(GO) test -race -count=1 -timeout 8m -tags forage_alwayspush ./scheduler/

## crossbuild: the library must build everywhere Go runs, not only on Linux.
crossbuild:
	@for t in darwin/amd64 darwin/arm64 windows/amd64 freebsd/amd64 linux/arm64 linux/386; do \
	  echo "build $$t"; GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./... || exit 1; \
	  GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./... || exit 1; done

## stress-short: the ≤ 60 s stress pass that make test includes.
stress-short:
	$(GO) test -race -count=1 -run 'Stress' -timeout 5m ./deque/
	@if [ -d stress/cmd/forage-stress ]; then \
	  $(GO) run -race ./stress/cmd/forage-stress -duration $(STRESSTIME); fi

## stress: the long run, with the chaos build tag, across GOMAXPROCS values.
stress:
	FORAGE_STRESS_LONG=1 $(GO) test -race -count=1 -run 'Stress' -timeout 20m ./deque/
	@if [ -d stress/cmd/forage-stress ]; then for p in 1 2 8 64; do \
	  GOMAXPROCS=$$p $(GO) run -race -tags forage_chaos ./stress/cmd/forage-stress -duration 60s || exit 1; done; fi

## fuzz: a short run of every fuzz target.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

## bench: the main job — the comparison suite (see docs/benchmarks.md).
bench:
	@if [ -d bench/cmd/forage-bench ]; then cd bench && $(GO) run ./cmd/forage-bench -out ../docs; \
	else $(MAKE) bench-deque; fi

## bench-pgo: the scheduler's fork benchmarks (serial code, Func.Join and
## closure Join on fib(30) and the unbalanced tree) built normally and with a
## CPU profile of themselves, run interleaved $(PGOCOUNT) times (benchstat
## needs 6 for its confidence intervals) and compared by benchstat
## (docs/design.md §9, "Profile-guided optimization").
PGOBENCH := Fib30/impl=(serial|func|closure)/|UnbalancedTree/impl=(serial|func)
PGOCOUNT ?= 6
bench-pgo:
	$(GO) test -c -o /tmp/forage-nopgo.test ./scheduler/
	/tmp/forage-nopgo.test -test.run '^$$' -test.bench '$(PGOBENCH)' -test.cpuprofile /tmp/forage-pgo.prof > /dev/null
	$(GO) test -c -pgo=/tmp/forage-pgo.prof -o /tmp/forage-pgo.test ./scheduler/
	rm -f /tmp/forage-nopgo.txt /tmp/forage-pgo.txt
	for i in $$(seq $(PGOCOUNT)); do for v in nopgo pgo; do \
	  /tmp/forage-$$v.test -test.run '^$$' -test.bench '$(PGOBENCH)' -test.benchmem >> /tmp/forage-$$v.txt || exit 1; \
	done; done
	$(GO) run $(BENCHSTAT) /tmp/forage-nopgo.txt /tmp/forage-pgo.txt || true

## bench-deque: deque micro-benchmarks, side by side, through benchstat.
bench-deque:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./deque/ | tee /tmp/forage-deque-bench.txt
	$(GO) run $(BENCHSTAT) -col /impl /tmp/forage-deque-bench.txt || true

## model: exhaustive SPIN model checking of the deque and the sleep protocol,
## with mutants that must fail (installs spin with apt if missing; docs/model.md).
model:
	bash scripts/model.sh

lint: vet
	@for m in $(MODULES); do [ -f $$m/go.mod ] || continue; \
	  echo "staticcheck ($$m)"; (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done

cover:
	$(GO) test -count=1 -coverprofile=/tmp/forage-cover.out ./...
	$(GO) tool cover -func=/tmp/forage-cover.out | tail -1
