# Hold Slayer: top-level build.  Each component adds itself with a
# module.mk (PROGS, <prog>_SRC, <prog>_PKGS, <prog>_LIBS, unit-test extras),
# so this file holds only the shared rules.  See README.md.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= $(PREFIX)/etc
DATAROOT ?= $(PREFIX)/share
MANDIR ?= $(DATAROOT)/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
VERSION := 0.1.0

BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Werror
# Every library comes through pkg-config, except those that ship no .pc
# file in Debian 12 (civetweb, flite, wordnet): those are named in their
# module.mk.
PKGS_ALL := libosip2 ortp bctoolbox libzmq spandsp sndfile json-c sqlite3 \
	libcurl fftw3 pocketsphinx sphinxbase espeak-ng soxr libsystemd cmocka \
	inih libcrypto libcares
PKGS_COMMON := libzmq json-c sndfile soxr spandsp inih libsystemd libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS_ALL) 2>/dev/null)
CPPFLAGS += -std=c17 -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) \
	-DHS_VERSION='"$(VERSION)"' -DHS_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DHS_FLOWSDIR='"$(DATAROOT)/holdslayer/flows"' \
	-DHS_DATAROOT='"$(DATAROOT)/holdslayer"'
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP

PROGS :=
SCRIPTS :=
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps check unit unit-asan demo demo-clean install clean bench \
	lint-man
all:

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRC))
LIBHS := $(BUILD)/libholdslayer.a

include $(sort $(wildcard */module.mk tests/*/module.mk))

# The paths compiled in (HS_SYSCONFDIR, HS_FLOWSDIR, HS_DATAROOT) follow
# PREFIX and friends: the objects that use them depend on a stamp that
# changes with them, so `make install PREFIX=/usr` rebuilds what it must
# instead of installing daemons that read /usr/local/etc.
PATHS_STAMP := $(BUILD)/paths.stamp
PATHS_NOW := $(SYSCONFDIR) $(DATAROOT)
ifneq ($(PATHS_NOW),$(shell cat $(PATHS_STAMP) 2>/dev/null))
$(shell mkdir -p $(BUILD) && echo '$(PATHS_NOW)' >$(PATHS_STAMP))
endif
PATHS_USERS := common/conf.c tests/ivrsim/ivrsim.c \
	$(shell grep -l '"stt\.h"' classifyd/*.c 2>/dev/null)
$(patsubst %.c,$(BUILD)/obj/%.o,$(PATHS_USERS)): $(PATHS_STAMP)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBHS): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

define PROG_rule
$(BUILD)/$(1): $$(patsubst %.c,$(BUILD)/obj/%.o,$$($(1)_SRC)) $(LIBHS)
	$$(CC) $$(LDFLAGS) -o $$@ $$(patsubst %.c,$(BUILD)/obj/%.o,$$($(1)_SRC)) \
		$(LIBHS) $$(shell pkg-config --libs $$($(1)_PKGS) \
		$(PKGS_COMMON)) $$($(1)_LIBS) -lm
endef
$(foreach p,$(PROGS),$(eval $(call PROG_rule,$(p))))

# A unit test links libholdslayer, cmocka and the objects its module.mk
# names in <test>_OBJS (sources, e.g. ivrd/flow.c), plus <test>_LDFLAGS
# (e.g. -Wl,--wrap=...).
define TEST_rule
$(BUILD)/tests/$(1): $(BUILD)/obj/tests/unit/$(1).o \
		$$(patsubst %.c,$(BUILD)/obj/%.o,$$($(1)_OBJS)) $(LIBHS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LDFLAGS) \
		$$(shell pkg-config --libs cmocka $$($(1)_PKGS) $(PKGS_COMMON)) \
		$$($(1)_LIBS) -lm
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call TEST_rule,$(t))))

all: $(addprefix $(BUILD)/,$(PROGS))

unit: $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))

# The unit tests again, built and run under AddressSanitizer and
# UndefinedBehaviorSanitizer.
unit-asan:
	$(MAKE) BUILD=build/asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" unit

deps:
	@sh tests/deps.sh

check: deps
	$(MAKE) all unit unit-asan
	$(MAKE) lint-man
	sh tests/run.sh $(BUILD)

demo: deps
	$(MAKE) all
	bash tests/e2e/demo.sh $(if $(SCENARIO),--scenario "$(SCENARIO)") \
		$(if $(FLOW),--flow "$(FLOW)") $(if $(INTENT),--intent "$(INTENT)") \
		$(if $(INFO),--info "$(INFO)")

demo-clean:
	rm -rf $(BUILD)/demo

bench: all
	sh tests/bench/run.sh $(BUILD)

lint-man:
	@for m in man/*.[0-9]; do \
		out=$$(mandoc -Tlint -W warning "$$m" 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	done; echo "man pages: lint clean"

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATAROOT)/holdslayer/flows \
		$(DESTDIR)$(SYSCONFDIR)
	for p in $(DAEMONS); do \
		install -m 0755 $(BUILD)/$$p $(DESTDIR)$(SBINDIR)/$$p; \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			$$p/holdslayer-$$p.service > $(DESTDIR)$(UNITDIR)/holdslayer-$$p.service; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/holdslayer-$$p.service; \
	done
	for p in $(CLIENTS); do \
		install -m 0755 $(BUILD)/$$p $(DESTDIR)$(BINDIR)/$$p; done
	install -m 0644 flows/*.json $(DESTDIR)$(DATAROOT)/holdslayer/flows/
	for m in man/*.[0-9]; do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	[ -e $(DESTDIR)$(SYSCONFDIR)/holdslayer.conf ] || \
		install -m 0640 common/holdslayer.conf.example \
			$(DESTDIR)$(SYSCONFDIR)/holdslayer.conf

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
