# SPDX-License-Identifier: Apache-2.0
# One non-recursive Makefile; everything it makes goes under $(BUILD).
#   make                 build unikit and the in-image init
#   make check           install what is missing, build, run every test
#   make demo            build examples/minimal.yml and boot it in QEMU
#   make bench           run the benchmarks in bench/
#   make SANITIZE=1 ...  ASan + UBSan build (in build/san)
#   make WERROR=1 ...    warnings are errors (CI)

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
MUSL_CC ?= musl-gcc
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SAN_FLAGS :=
endif

LIBS_PC := yaml-0.1 jansson libarchive libdeflate libzstd libcurl libcrypto
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter \
	-Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) -D_GNU_SOURCE -Isrc -I$(BUILD)/gen \
	-DUNIKIT_VERSION='"$(VERSION)"' $(PC_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
LDLIBS_ALL = $(PC_LIBS) -lpthread

LIB_SRCS := $(filter-out src/main.c src/cmd/%,$(wildcard src/*/*.c))
CMD_SRCS := $(sort $(wildcard src/cmd/*.c))
CMD_NAMES := $(filter-out cmd,$(basename $(notdir $(CMD_SRCS))))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(BUILD)/src/main.o $(CMD_SRCS:%.c=$(BUILD)/%.o)
LIBUNIKIT := $(BUILD)/libunikit.a
UNIKIT := $(BUILD)/unikit

INIT_SRCS := $(wildcard init/*.c)
INIT_BIN := $(BUILD)/init/unikit-init
INIT_CFLAGS := -std=gnu11 $(WARN) -Os -static -D_GNU_SOURCE -Iinit

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%)

all: $(UNIKIT) $(if $(INIT_SRCS),$(INIT_BIN))

$(BUILD)/gen/cmds.h: Makefile $(CMD_SRCS)
	@mkdir -p $(@D)
	@{ echo '/* generated from the files in src/cmd by the Makefile */'; \
	  for c in $(CMD_NAMES); do echo "CMD($$c)"; done; } > $@.tmp && mv $@.tmp $@

$(BUILD)/src/main.o: $(BUILD)/gen/cmds.h

# Output formats: src/output/fmt-NAME.c defines output_fmt_NAME ('-', '+' -> '_').
FMT_SRCS := $(sort $(wildcard src/output/fmt-*.c))
FMT_SYMS := $(subst +,_,$(subst -,_,$(patsubst src/output/fmt-%.c,%,$(FMT_SRCS))))
$(BUILD)/gen/outputs.h: Makefile $(FMT_SRCS)
	@mkdir -p $(@D)
	@{ echo '/* generated from the fmt- files in src/output by the Makefile */'; \
	  for f in $(FMT_SYMS); do echo "OUTPUT($$f)"; done; } > $@.tmp && mv $@.tmp $@

$(LIB_OBJS) $(CLI_OBJS): | $(BUILD)/gen/outputs.h $(BUILD)/gen/cmds.h

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBUNIKIT): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(UNIKIT): $(CLI_OBJS) $(LIBUNIKIT)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(LIBUNIKIT) $(LDLIBS_ALL)

# PID 1 for the images: static, small, nothing but libc.
$(INIT_BIN): $(INIT_SRCS) $(wildcard init/*.h)
	@mkdir -p $(@D)
	$(MUSL_CC) $(INIT_CFLAGS) -o $@ $(INIT_SRCS)

# ---- init/: kernel headers for musl-gcc, and init's host-built tests ----
# musl-gcc sees musl's headers only; init's rtnetlink code needs the kernel's
# <linux/*.h>, so they are linked into a directory of their own.
INIT_KHDR := $(BUILD)/init/khdr
$(INIT_KHDR)/.stamp:
	@mkdir -p $(@D)
	ln -sfn /usr/include/linux $(@D)/linux
	ln -sfn /usr/include/asm-generic $(@D)/asm-generic
	ln -sfn /usr/include/$(shell $(CC) -print-multiarch)/asm $(@D)/asm
	@touch $@
$(INIT_BIN): INIT_CFLAGS += -isystem $(INIT_KHDR) -s
$(INIT_BIN): | $(INIT_KHDR)/.stamp

# test-init and fuzz-initconf are built from init/*.c (without main.c) with the host compiler.
INIT_LIB_SRCS := $(filter-out init/main.c,$(INIT_SRCS))
INIT_HOST_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) -D_GNU_SOURCE -Isrc -Iinit
$(BUILD)/tests/unit/test-init: tests/unit/test-init.c $(INIT_LIB_SRCS) $(wildcard init/*.h)
	@mkdir -p $(@D)
	$(CC) $(INIT_HOST_CFLAGS) $(ALL_LDFLAGS) -o $@ tests/unit/test-init.c $(INIT_LIB_SRCS) -lcmocka
$(BUILD)/tests/fuzz/fuzz-initconf: tests/fuzz/fuzz-initconf.c tests/fuzz/replay.c $(INIT_LIB_SRCS) \
		$(wildcard init/*.h) $(LIBUNIKIT)
	@mkdir -p $(@D)
	$(CC) $(INIT_HOST_CFLAGS) $(ALL_LDFLAGS) -o $@ tests/fuzz/fuzz-initconf.c tests/fuzz/replay.c \
		$(INIT_LIB_SRCS) $(LIBUNIKIT) $(LDLIBS_ALL)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBUNIKIT)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBUNIKIT) $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBUNIKIT)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIBUNIKIT) $(LDLIBS_ALL)

deps:
	@scripts/install-deps

# crun for pkg/runtime, built statically from Debian's source package. Not in
# `all` (it fetches the source): `unikit pkg build pkg/runtime` asks for it,
# check, demo and bench make it first. One for every $(BUILD): an input of a
# package, not a part of unikit.
CRUN_BIN := build/crun/crun
$(CRUN_BIN): pkg/runtime/build-crun
	pkg/runtime/build-crun $(@D)

tests: all $(UNIT_BINS) $(FUZZ_BINS)

# Unit tests, fuzz corpus replays and end-to-end scripts; ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory tests $(CRUN_BIN)
	@BUILD=$(BUILD) tests/run $(TESTS)

# Only the unit tests and fuzz replays (CI also runs these under SANITIZE=1).
check-unit: deps
	@$(MAKE) --no-print-directory tests
	@BUILD=$(BUILD) tests/run --unit

demo: deps
	@$(MAKE) --no-print-directory all $(CRUN_BIN)
	@BUILD=$(BUILD) scripts/demo

bench: deps
	@$(MAKE) --no-print-directory all $(CRUN_BIN)
	@BUILD=$(BUILD) bench/run

FORMAT_SRCS = $(wildcard src/*.c src/*/*.c src/*/*.h init/*.c init/*.h tests/unit/*.c \
	tests/unit/*.h tests/fuzz/*.c bench/*.c)
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/unikit
	install -m 0755 $(UNIKIT) $(DESTDIR)$(PREFIX)/bin/unikit
	$(if $(INIT_SRCS),install -m 0755 $(INIT_BIN) $(DESTDIR)$(PREFIX)/lib/unikit/unikit-init)

clean:
	rm -rf build

.PHONY: all deps tests check check-unit demo bench format format-check install clean
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
