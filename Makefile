# podbug build: the server, the probe library, the CLI, tests, benchmarks and the demo.
# `make` builds into build/; `make test`, `make demo`, `make bench` install what is missing first.

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT) $(SAN) -fPIC -Wall -Wextra -Wno-unused-parameter \
           -Icommon -Iprotocol -Iprobe -Iserver -I/usr/include/libdwarf
LDFLAGS += $(SAN)

LIBS_SERVER = -lwebsockets -lcjson
LIBS_PROBE  = -lwebsockets -lcjson -ldwarf -lelf -lunwind -lZydis -lpthread -ldl
LIBS_TEST   = -lcriterion

COMMON_SRC   := $(wildcard common/*.c)
PROTOCOL_SRC := $(wildcard protocol/*.c)
SERVER_SRC   := $(wildcard server/*.c server/dap_handlers/*.c)
PROBE_SRC    := $(filter-out probe/main.c,$(wildcard probe/*.c))
PROBE_MAIN   := probe/main.c
CLI_SRC      := $(wildcard probe/cli/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ   := $(call obj,$(COMMON_SRC) $(PROTOCOL_SRC))
SERVER_OBJ   := $(call obj,$(SERVER_SRC))
SERVER_LIB_OBJ := $(filter-out $(BUILD)/obj/server/main.o,$(SERVER_OBJ))
PROBE_OBJ    := $(call obj,$(PROBE_SRC))
CLI_OBJ      := $(call obj,$(CLI_SRC))

SERVER_BIN := $(BUILD)/podbug-server
PROBE_LIB  := $(BUILD)/libpodbug-probe.so
CLI_BIN    := $(BUILD)/podbug

TARGET_SRC := $(wildcard tests/targets/*.c)
TARGETS    := $(foreach s,$(TARGET_SRC),$(BUILD)/targets/$(basename $(notdir $(s)))-O0 \
                                        $(BUILD)/targets/$(basename $(notdir $(s)))-O2)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

BINARIES := $(SERVER_BIN) $(PROBE_LIB) $(if $(CLI_SRC),$(CLI_BIN))

.PHONY: all deps test unit integration demo bench asan fuzz clean
all: $(BINARIES) $(TARGETS)

deps:
	@scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(SERVER_BIN): $(SERVER_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER)

$(PROBE_LIB): $(PROBE_OBJ) $(call obj,$(PROBE_MAIN)) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -o $@ $^ $(LIBS_PROBE)

$(CLI_BIN): $(CLI_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER)

# Test targets: the programs podbug debugs, built -g at -O0 and -O2. Their own flags only.
$(BUILD)/targets/%-O0: tests/targets/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -g -O0 -Wall -Wextra -o $@ $< -lpthread
$(BUILD)/targets/%-O2: tests/targets/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -o $@ $< -lpthread

# Unit tests link every module except the entry points (the probe's constructor would start an
# agent; the server's main would be a second main).
$(BUILD)/tests/%: tests/unit/%.c $(COMMON_OBJ) $(PROBE_OBJ) $(SERVER_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_PROBE) $(LIBS_TEST)

$(BUILD)/bench/%: bench/%.c $(COMMON_OBJ) $(PROBE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_PROBE)

unit: $(UNIT_BINS) $(TARGETS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; PODBUG_BUILD=$(BUILD) $$t; done

integration: all
	@cd tests/integration && PODBUG_BUILD=../../$(BUILD) node --test --test-concurrency=1 --test-timeout=120000

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

demo: deps
	@$(MAKE) --no-print-directory all
	@node demo/demo.mjs

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@bench/run.sh $(BUILD)

ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
            SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
asan: deps
	@$(ASAN_MAKE) all
	@$(ASAN_MAKE) unit
	@ASAN_OPTIONS=detect_leaks=1 PODBUG_PRELOAD_FIRST=$$($(CC) -print-file-name=libasan.so) \
	  $(ASAN_MAKE) integration

fuzz: deps
	@tests/fuzz/run.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
