# podbug build: the server, the probe library, the CLI, tests, benchmarks and the demo.
# `make` builds into build/; `make test`, `make demo`, `make bench` install what is missing first.

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT) $(SAN) -fPIC -Wall -Wextra -Wno-unused-parameter \
           -Icommon -Iprotocol -Iprobe -Iserver -I/usr/include/libdwarf
LDFLAGS += $(SAN)

LIBS_SERVER = -lwebsockets -lcjson -lssl -lcrypto
LIBS_PROBE  = -lwebsockets -lcjson -ldwarf -lelf -lunwind -lZydis -lcrypto -lpthread -ldl
LIBS_TEST   = -lcriterion -lcrypto
LIBS_PTRACE = -ldwarf -lelf -lunwind-ptrace -lunwind-generic

COMMON_SRC   := $(wildcard common/*.c)
PROTOCOL_SRC := $(wildcard protocol/*.c)
SERVER_SRC   := $(wildcard server/*.c server/dap_handlers/*.c)
PROBE_SRC    := $(filter-out probe/main.c,$(wildcard probe/*.c))
PROBE_MAIN   := probe/main.c
CLI_SRC      := $(wildcard probe/cli/*.c)
PTRACE_SRC   := $(wildcard probe/ptrace/*.c)
# What the CLI shares with the probe (symbols, DWARF, values and their text), for the tools that
# read another process. Linked from an archive that never holds the probe's in-process machinery
# (signal interposition, traps, the stopper, the agent).
CLI_SHARED_SRC := probe/symbols.c probe/dwarf_lines.c probe/elf_module.c probe/path_match.c \
                  probe/debuginfo.c probe/debuginfo_store.c probe/dwarf_die.c probe/dwarf_ops.c \
                  probe/dwarf_locations.c probe/dwarf_scopes.c probe/dwarf_types.c \
                  probe/dwarf_expr.c probe/frame_regs.c probe/safe_mem.c probe/guarded_copy.c probe/value.c \
                  probe/value_support.c probe/value_format.c probe/variable_view.c \
                  probe/thread_frames_expand.c probe/proc_info.c probe/config.c probe/reload_elf.c \
                  probe/redaction.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJ   := $(call obj,$(COMMON_SRC) $(PROTOCOL_SRC))
SERVER_OBJ   := $(call obj,$(SERVER_SRC))
SERVER_LIB_OBJ := $(filter-out $(BUILD)/obj/server/main.o,$(SERVER_OBJ))
PROBE_OBJ    := $(call obj,$(PROBE_SRC))
PTRACE_OBJ   := $(call obj,$(PTRACE_SRC))
# The CLI prepares a reload's library with the server's codec (base64, SHA-256).
CLI_OBJ      := $(call obj,$(CLI_SRC) server/library_codec.c)

SERVER_BIN := $(BUILD)/podbug-server
PROBE_LIB  := $(BUILD)/libpodbug-probe.so
CLI_BIN    := $(BUILD)/podbug
CLI_SHARED_LIB := $(BUILD)/libpodbug-cli-shared.a

TARGET_SRC := $(wildcard tests/targets/*.c)
TARGETS    := $(foreach s,$(TARGET_SRC),$(BUILD)/targets/$(basename $(notdir $(s)))-O0 \
                                        $(BUILD)/targets/$(basename $(notdir $(s)))-O2)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

# Hot reload's test programs (tests/targets/reload): every version handlers_<v>.c of libhandlers.so
# into $(BUILD)/targets/reload/<O0|O2>/<v>/libhandlers.so, and reload_app (linked with v1) and
# reload_app_unlinked (which dlopens one) beside them.
RELOAD_DIR      := tests/targets/reload
RELOAD_OUT      := $(BUILD)/targets/reload
RELOAD_VERSIONS := $(patsubst $(RELOAD_DIR)/handlers_%.c,%,$(wildcard $(RELOAD_DIR)/handlers_*.c))
RELOAD_TARGETS  := $(foreach o,O0 O2,$(foreach v,$(RELOAD_VERSIONS),$(RELOAD_OUT)/$(o)/$(v)/libhandlers.so) \
                     $(RELOAD_OUT)/$(o)/reload_app $(RELOAD_OUT)/$(o)/reload_app_unlinked)

BINARIES := $(SERVER_BIN) $(PROBE_LIB) $(if $(CLI_SRC),$(CLI_BIN))

.PHONY: all deps test unit integration integration-stdio demo bench asan fuzz clean vsix
all: $(BINARIES) $(TARGETS) $(RELOAD_TARGETS)

deps:
	@scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(SERVER_BIN): $(SERVER_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER)

$(PROBE_LIB): $(PROBE_OBJ) $(call obj,$(PROBE_MAIN)) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -o $@ $^ $(LIBS_PROBE)

$(CLI_SHARED_LIB): $(call obj,$(CLI_SHARED_SRC)) $(PTRACE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLI_BIN): $(CLI_OBJ) $(COMMON_OBJ) $(CLI_SHARED_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_SERVER) $(LIBS_PTRACE)

# Test targets: the programs podbug debugs, built -g at -O0 and -O2. Their own flags only.
$(BUILD)/targets/%-O0: tests/targets/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -g -O0 -Wall -Wextra -o $@ $< -lpthread
$(BUILD)/targets/%-O2: tests/targets/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -o $@ $< -lpthread

# Each version is compiled as if it were tests/targets/reload/handlers.c, as a rebuild of one source
# file is: statics are carried by name within that file, breakpoints at handlers.c:LINE re-bind.
RELOAD_CC = $(CC) -std=c11 -D_GNU_SOURCE -g -Wall -Wextra -I$(RELOAD_DIR) -Iprobe/include
RELOAD_HEADERS = $(wildcard $(RELOAD_DIR)/*.h) probe/include/podbug_reload.h
$(RELOAD_OUT)/O0/%/libhandlers.so: $(RELOAD_DIR)/handlers_%.c $(RELOAD_HEADERS)
	@mkdir -p $(dir $@)
	$(RELOAD_CC) -O0 -fPIC -shared -fdebug-prefix-map=$<=$(RELOAD_DIR)/handlers.c -o $@ $<
$(RELOAD_OUT)/O2/%/libhandlers.so: $(RELOAD_DIR)/handlers_%.c $(RELOAD_HEADERS)
	@mkdir -p $(dir $@)
	$(RELOAD_CC) -O2 -fPIC -shared -fdebug-prefix-map=$<=$(RELOAD_DIR)/handlers.c -o $@ $<
$(RELOAD_OUT)/O%/reload_app: $(RELOAD_DIR)/reload_app.c $(RELOAD_DIR)/handlers.h $(RELOAD_OUT)/O%/v1/libhandlers.so
	$(RELOAD_CC) -O$* -o $@ $< -L$(RELOAD_OUT)/O$*/v1 -Wl,--no-as-needed -lhandlers \
	  -Wl,-rpath,'$$ORIGIN/v1' -lpthread -ldl
$(RELOAD_OUT)/O%/reload_app_unlinked: $(RELOAD_DIR)/reload_app.c $(RELOAD_DIR)/handlers.h
	@mkdir -p $(dir $@)
	$(RELOAD_CC) -O$* -o $@ $< -lpthread -ldl

# Unit tests link every module except the entry points (the probe's constructor would start an
# agent; the server's main would be a second main).
$(BUILD)/tests/%: tests/unit/%.c $(COMMON_OBJ) $(PROBE_OBJ) $(PTRACE_OBJ) $(SERVER_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_PROBE) $(LIBS_PTRACE) $(LIBS_TEST)

$(BUILD)/bench/%: bench/%.c $(COMMON_OBJ) $(PROBE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_PROBE)

unit: $(UNIT_BINS) $(TARGETS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; PODBUG_BUILD=$(BUILD) $$t; done

integration: all vsix
	@cd tests/integration && PODBUG_BUILD=../../$(BUILD) node --test --test-concurrency=1 --test-timeout=120000
	@$(MAKE) --no-print-directory integration-stdio

# The same DAP sessions again through `podbug dap` (stdio to WebSocket), as IDEs that spawn an
# adapter run them; dap_stdio.test.mjs, in the pass above, covers what is particular to it.
STDIO_TESTS := foundation variables conditions stepping snapshots bad_input
integration-stdio: all
	@cd tests/integration && PODBUG_DAP_TRANSPORT=stdio PODBUG_BUILD=../../$(BUILD) \
	  node --test --test-concurrency=1 --test-timeout=120000 $(STDIO_TESTS:%=%.test.mjs)

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

# The VS Code extension (ide-plugin-spec/vscode) as $(BUILD)/podbug.vsix: its debugger attributes
# regenerated from the schemas, then packaged by vsce from the folder's own node_modules (npm ci).
VSCODE_DIR := ide-plugin-spec/vscode
VSIX       := $(BUILD)/podbug.vsix
VSIX_SRC   := $(wildcard $(VSCODE_DIR)/*.js $(VSCODE_DIR)/*.md $(VSCODE_DIR)/scripts/*.mjs ide-plugin-spec/*.schema.json) \
              $(VSCODE_DIR)/package.json $(VSCODE_DIR)/.vscodeignore
vsix: $(VSIX)
$(VSIX): $(VSIX_SRC) $(VSCODE_DIR)/node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	@cd $(VSCODE_DIR) && node scripts/sync-schemas.mjs && \
	  node_modules/.bin/vsce package --no-dependencies --skip-license --allow-missing-repository -o $(abspath $@) >/dev/null
	@echo "packaged $@"
$(VSCODE_DIR)/node_modules/.package-lock.json: $(VSCODE_DIR)/package-lock.json
	cd $(VSCODE_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

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
