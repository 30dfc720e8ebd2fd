# The two commands of the README: `make run` and `make test`. Both install
# missing Debian packages first (scripts/install-deps.sh).
BUILD ?= build
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build run test bench asan fuzz example python serve clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The main job on the shipped defaults: the paper's online scenario on the aws catalog.
run: build
	./$(BUILD)/infersave plan

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The Python module, into build/python/ (PYTHONPATH=build/python python3 -c 'import infersave').
python: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target infersave_python

# The HTTP API and web page on http://127.0.0.1:8080/.
serve: build
	./$(BUILD)/infersave server

bench: build
	./$(BUILD)/infersave_bench

# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DINFERSAVE_SANITIZE=ON -DINFERSAVE_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# Installs the library as a CMake package and builds and runs
# examples/embed against the install tree.
example: build
	@cmake --install $(BUILD) --prefix $(BUILD)/install >/dev/null
	@cmake -S examples/embed -B build-embed -DCMAKE_PREFIX_PATH=$(CURDIR)/$(BUILD)/install >/dev/null
	@cmake --build build-embed -j $(JOBS)
	./build-embed/embed

# A short libFuzzer run of every parser (clang; FUZZ_SECONDS each); fails on
# the first crash, leak or broken invariant, and prints the fuzzer's log.
FUZZ_SECONDS ?= 15
FUZZ_JSON := model_config calibration engine workload
FUZZ_CSV := catalog gpu_table measurements trace
FUZZ_NUMBERS := lengths
fuzz: deps
	@scripts/install-deps.sh fuzz
	@CXX=clang++ CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERSAVE_FUZZ=ON \
	  -DINFERSAVE_BUILD_TESTS=OFF -DINFERSAVE_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_JSON) $(FUZZ_CSV) $(FUZZ_NUMBERS))
	@for t in $(addsuffix :json,$(FUZZ_JSON)) $(addsuffix :csv,$(FUZZ_CSV)) $(addsuffix :numbers,$(FUZZ_NUMBERS)); do \
	  name=$${t%%:*}; dict=$${t##*:}; mkdir -p build-fuzz/corpus_$$name; \
	  ./build-fuzz/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=16384 -dict=fuzz/$$dict.dict \
	    build-fuzz/corpus_$$name fuzz/seeds/$$name > build-fuzz/fuzz_$$name.log 2>&1 \
	    || { tail -n 40 build-fuzz/fuzz_$$name.log; exit 1; }; \
	  echo "fuzz_$$name: $$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' build-fuzz/fuzz_$$name.log)," \
	    "coverage $$(grep -o 'cov: [0-9]*' build-fuzz/fuzz_$$name.log | tail -n 1)"; \
	done

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-embed
