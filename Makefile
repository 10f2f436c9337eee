# proxyd: top-level build.
#
#   make          build proxyd/proxyd and the testkit tools
#   make run      install missing packages (as root), build, start proxyd on
#                 examples/demo.cfg with a demo origin, in the foreground
#   make test     build and run every unit test and every testkit scenario
#   make asan     the same suite built with -fsanitize=address,undefined
#   make deps     install (as root) or name the Debian packages needed
#   make bench    run the proxyd-vs-haproxy benchmark (see docs/performance.md)
#
# Objects go to $(BUILD)/, so a normal build and an ASAN build never mix.

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
SAN     ?= 0

DEB_PACKAGES := pkg-config libssl-dev libedit-dev liblua5.4-dev \
                libcurl4-openssl-dev libpcre2-dev libcmocka-dev \
                perl curl openssl socat hatop haproxy iproute2 nftables iptables

ifeq ($(SAN),1)
BUILD    := build-asan
OPT      := -O1
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
BINDIR   := $(BUILD)/bin
PROXYD   := $(BINDIR)/proxyd
FAKESRV  := $(BINDIR)/fakesrv
PXTEST   := $(BINDIR)/pxtest
PXSH     := $(BINDIR)/pxsh
PTYDRV   := $(BINDIR)/ptydrv
else
SANFLAGS :=
BINDIR   := $(BUILD)/bin
PROXYD   := proxyd/proxyd
# Each tool's binary lives in its source directory, as proxyd/proxyd does.
FAKESRV  := testkit/fakesrv/fakesrv
PXTEST   := testkit/pxtest/pxtest
PXSH     := pxsh/pxsh
PTYDRV   := testkit/ptydrv/ptydrv
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS  += -std=gnu11 $(OPT) -g $(WARN) -D_GNU_SOURCE -MMD -MP $(SANFLAGS)
LDFLAGS += $(SANFLAGS)

PKG_CURL   := $(shell pkg-config --cflags --libs libcurl 2>/dev/null || echo -lcurl)
PKG_PCRE2  := $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
PKG_CMOCKA := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
PKG_SSL    := $(shell pkg-config --libs libssl libcrypto 2>/dev/null || echo -lssl -lcrypto)
PKG_EDIT_CFLAGS := $(shell pkg-config --cflags libedit 2>/dev/null)
PKG_EDIT   := $(shell pkg-config --libs libedit 2>/dev/null || echo -ledit)
PKG_LUA_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
PKG_LUA    := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)

# --- proxyd -----------------------------------------------------------------
PROXYD_SRC  := $(sort $(wildcard proxyd/*.c proxyd/*/*.c))
PROXYD_OBJ  := $(PROXYD_SRC:%.c=$(BUILD)/%.o)
PROXYD_LIB  := $(filter-out $(BUILD)/proxyd/main.o,$(PROXYD_OBJ))
PROXYD_LIBS := $(PKG_PCRE2) $(PKG_SSL) $(PKG_LUA) -lm

$(BUILD)/proxyd/%.o: proxyd/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_LUA_CFLAGS) -Iproxyd -c -o $@ $<

$(PROXYD): $(PROXYD_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PROXYD_LIBS)

# --- testkit ----------------------------------------------------------------
TK_COMMON_SRC := $(sort $(wildcard testkit/lib/*.c))
TK_COMMON_OBJ := $(TK_COMMON_SRC:%.c=$(BUILD)/%.o)
FAKESRV_SRC   := $(sort $(wildcard testkit/fakesrv/*.c))
FAKESRV_OBJ   := $(FAKESRV_SRC:%.c=$(BUILD)/%.o)
PXTEST_SRC    := $(sort $(wildcard testkit/pxtest/*.c))
PXTEST_OBJ    := $(PXTEST_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/testkit/%.o: testkit/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -Itestkit/lib -Iproxyd -c -o $@ $<

$(FAKESRV): $(FAKESRV_OBJ) $(TK_COMMON_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_SSL)

$(PXTEST): $(PXTEST_OBJ) $(TK_COMMON_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_CURL) $(PKG_PCRE2) $(PKG_SSL) -lm

# --- pxsh: the admin shell; shares the command table (clitab.o) with proxyd -
PXSH_SRC := $(sort $(wildcard pxsh/*.c))
PXSH_OBJ := $(PXSH_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/pxsh/%.o: pxsh/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_EDIT_CFLAGS) -Iproxyd -c -o $@ $<

$(PXSH): $(PXSH_OBJ) $(BUILD)/proxyd/admin/clitab.o
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_EDIT)

# ptydrv: runs a program on a pseudo-terminal for the pxsh scenarios.
PTYDRV_SRC := $(sort $(wildcard testkit/ptydrv/*.c))
PTYDRV_OBJ := $(PTYDRV_SRC:%.c=$(BUILD)/%.o)

$(PTYDRV): $(PTYDRV_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ -lutil

# --- unit tests: testkit/unit/<module>.c links against proxyd's objects ------
UNIT_SRC  := $(sort $(wildcard testkit/unit/*.c))
UNIT_BIN  := $(UNIT_SRC:testkit/unit/%.c=$(BUILD)/unit/%)

$(BUILD)/unit/%: testkit/unit/%.c $(PROXYD_LIB)
	@mkdir -p $(dir $@)
	@echo "  UNIT    $@"
	@$(CC) $(CFLAGS) $(PKG_LUA_CFLAGS) -Iproxyd -o $@ $< $(PROXYD_LIB) $(LDFLAGS) $(PROXYD_LIBS) $(PKG_CMOCKA)

# pxsh's pure parts are tested alone (testkit/unit/rulediff.c).
$(BUILD)/unit/rulediff: testkit/unit/rulediff.c $(BUILD)/pxsh/rulediff.o
	@mkdir -p $(dir $@)
	@echo "  UNIT    $@"
	@$(CC) $(CFLAGS) -Ipxsh -Iproxyd -o $@ $^ $(LDFLAGS) $(PKG_CMOCKA)

# --- targets ----------------------------------------------------------------
.PHONY: all build test asan run deps bench clean check-deps

all: build
build: $(PROXYD) $(FAKESRV) $(PXTEST) $(PXSH) $(PTYDRV)

test: deps-check build $(UNIT_BIN)
	@PROXYD=$(PROXYD) FAKESRV=$(FAKESRV) PXTEST=$(PXTEST) PXSH=$(PXSH) PTYDRV=$(PTYDRV) \
	    UNIT_BINS="$(UNIT_BIN)" testkit/run-tests.sh

asan:
	$(MAKE) SAN=1 test

run: deps build
	@examples/run-demo.sh $(PROXYD) $(FAKESRV)

deps:
	@testkit/deps.sh install $(DEB_PACKAGES)

deps-check:
	@testkit/deps.sh check $(DEB_PACKAGES)

bench: build
	bench/run.sh

clean:
	rm -rf build build-asan proxyd/proxyd $(FAKESRV) $(PXTEST) pxsh/pxsh testkit/ptydrv/ptydrv

-include $(PROXYD_OBJ:.o=.d) $(TK_COMMON_OBJ:.o=.d) $(FAKESRV_OBJ:.o=.d) \
         $(PXTEST_OBJ:.o=.d) $(PXSH_OBJ:.o=.d) $(PTYDRV_OBJ:.o=.d)
