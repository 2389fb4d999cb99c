# Every target is a thin call of the CLI: `go run ./tools/netlings help`
# lists the same verbs without make. The CLI is built into .netlings/bin
# (go build is incremental: a no-op when nothing changed), because `go run`
# adds its own "exit status 1" line under every red report.
NETLINGS := .netlings/bin/netlings
# The checker has the learner's verbs only (-tags checker): the book's
# renderer (Markdown, syntax highlighting: two thirds of the build), the
# load generator and mutate live in the full command, a second build, so a
# learner's first check does not wait for them. Both are built without cgo,
# as the first check's quick run is, so they share its compiled packages;
# the runs under -race have their own, with cgo (the binaries' environment
# is untouched: the go test they start keeps cgo for -race).
NETLINGS_FULL := .netlings/bin/netlings-full
N ?=
FUZZTIME ?= 20s

.DEFAULT_GOAL := help
.PHONY: FORCE help list check cross-vet vet staticcheck lint check-lesson check-solution watch hint next reset verify test \
        unit-test book book-check serve tools load bench-lesson fuzz fuzz-solutions mutate mutate-sample

$(NETLINGS): FORCE
	@command -v go >/dev/null || { echo "netlings needs the go command on your PATH: install Go 1.26 or newer"; exit 1; }
	@test -x $@ || echo "netlings: building the checker (once)…"
	@CGO_ENABLED=0 go build -tags checker -o $@ ./tools/netlings

$(NETLINGS_FULL): FORCE
	@command -v go >/dev/null || { echo "netlings needs the go command on your PATH: install Go 1.26 or newer"; exit 1; }
	@test -x $@ || echo "netlings: building the full command (the book, load, mutate; once)…"
	@CGO_ENABLED=0 go build -o $@ ./tools/netlings

FORCE:

help: ## this list
	@echo "netlings — learn network programming in Go by making failing tests pass"
	@echo
	@grep -E '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-22s %s\n", $$1, $$2}'

list: $(NETLINGS) ## every lesson, done or not, with a progress bar
	@$(NETLINGS) list

check-lesson: $(NETLINGS) ## check lesson N: make check-lesson N=3 (COUNT=20 runs it 20 times)
	@$(NETLINGS) check $(if $(COUNT),--count $(COUNT)) $(N)

check: check-lesson ## the same: make check N=3

check-lesson-%: $(NETLINGS) ## the same: make check-lesson-3
	@$(NETLINGS) check $(if $(COUNT),--count $(COUNT)) $*

check-solution: $(NETLINGS) ## run lesson N's tests against the reference solution
	@$(NETLINGS) check --solution $(N)

watch: $(NETLINGS) ## re-check the lesson you are editing on every save
	@$(NETLINGS) watch

hint: $(NETLINGS) ## hints for lesson N (default: the lesson you are on); LANG=zh for Chinese
	@$(NETLINGS) hint $(if $(filter command line,$(origin LANG)),--lang $(LANG)) $(N)

next: $(NETLINGS) ## the first lesson not done yet
	@$(NETLINGS) next

reset: $(NETLINGS) ## restore lesson N's stub files from git (asks first)
	@$(NETLINGS) reset $(N)

book: $(NETLINGS_FULL) ## render the book to book/_site/index.html
	@$(NETLINGS_FULL) book

serve: $(NETLINGS_FULL) ## serve the book with live progress on 127.0.0.1 (PORT=8080 to choose)
	@$(NETLINGS_FULL) serve $(if $(PORT),--port $(PORT))

load: $(NETLINGS_FULL) ## the load generator: make load ARGS="-url http://127.0.0.1:8080/ -c 32 -d 5s"
	@$(NETLINGS_FULL) load $(ARGS)

bench-lesson: $(NETLINGS) ## lesson N against its standard-library peer (SOLUTION=1 for the reference)
	@$(NETLINGS) bench $(if $(SOLUTION),--solution) $(N)

fuzz: $(NETLINGS) ## fuzz lesson N's parser (all lessons if no N) for FUZZTIME each
	@$(NETLINGS) fuzz --time $(FUZZTIME) $(N)

# make test's fuzz of the reference parsers: 12 s keeps make test within
# 8 minutes from an empty cache on two cores (476 s measured with 20 s).
fuzz-solutions: $(NETLINGS)
	@$(NETLINGS) fuzz --solution --time 12s

mutate: $(NETLINGS_FULL) ## maintainers: lesson N's tests against machine-made wrong solutions (all lessons if no N)
	@$(NETLINGS_FULL) mutate $(N)

# A sampled, time-boxed mutation pass for make test: one mutant per lesson,
# the same ones every run, 35 s in all (make test has 8 minutes).
mutate-sample: $(NETLINGS_FULL)
	@$(NETLINGS_FULL) mutate --sample 1 --seed 1 --budget 35s

verify: $(NETLINGS) ## every solution passes (-race, repeated), every stub fails fast
	@$(NETLINGS) verify

tools: ## install the optional test peers (curl, chromium, tshark): CI runs this
	@bash tools/install-peers.sh

lint: vet staticcheck ## gofmt, go vet and staticcheck (pinned in go.mod)

# Without cgo, as make builds the checker and the full command: the
# packages vet compiles are the ones those builds need (nothing here uses
# cgo; only the runs under -race need it, and they compile their own).
vet:
	@unformatted=$$(gofmt -l lessons solutions tools); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	CGO_ENABLED=0 go vet ./...

# staticcheck builds itself and analyses the whole module: about a minute
# and a half from an empty cache on two cores, so, like cross-vet, CI runs it
# after make test (with the checker's build, -tags checker, vetted too; make test
# builds that binary, so a compile error there fails it anyway).
# lessons/staticcheck.conf explains the one check the stubs turn off.
staticcheck:
	go tool staticcheck ./...
	go tool staticcheck -tags checker ./tools/...
	go vet -tags checker ./tools/...

# Learners use macOS and Windows too: nothing Linux-only may leak outside a
# build tag. Each target compiles the standard library for its system once,
# two minutes apiece from an empty cache on two cores, so CI runs this after
# make test rather than inside it.
cross-vet:
	@for target in darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do \
	  echo "go vet ./... for $$target"; \
	  GOOS=$${target%/*} GOARCH=$${target#*/} go vet ./... || exit 1; \
	done

unit-test:
	go test -race -timeout 10m ./tools/...

book-check: $(NETLINGS_FULL)
	@$(NETLINGS_FULL) book --check

# The project's own tests. `go test ./...` at the root is red by design (the
# stubs are unfinished), so it is never run blindly: the CLI's tests, then
# verify (solutions green, stubs red), a sampled mutation pass (one
# machine-made wrong solution per lesson, 35 s), a bounded fuzz of the
# reference parsers, then the book's checks.
test: vet unit-test verify mutate-sample fuzz-solutions book-check ## the project's own tests (what CI runs)
