# cglever: plain GNU Makefile. Site overrides go in Makefile.local.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
CC         ?= cc
CFLAGS     ?= -O2 -g
-include Makefile.local

PKGS       := libcurl json-c libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -ljson-c -lcrypto)
FCGI_LIBS  ?= $(shell pkg-config --libs fcgi 2>/dev/null || echo -lfcgi)
DB_LIBS    ?= -ldb
LIBS       := $(FCGI_LIBS) $(DB_LIBS) $(PKG_LIBS)

WARN       := -Wall -Wextra -Werror
# `make V=1` shows the full commands.
Q          := $(if $(V),,@)
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) -Ilib $(PKG_CFLAGS) $(CFLAGS) \
	-DCGLEVER_DEFAULT_CONFIG='"$(SYSCONFDIR)/cglever/cglever.conf"' \
	-DCGLEVER_DEFAULT_CTL='"$(PREFIX)/bin/cglever-ctl"'

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o)
PROGS   := cgi-bin/webhook.fcgi cgi-bin/oauth.fcgi cgi-bin/admin.fcgi bin/cglever-ctl

.PHONY: all deps check run install clean
all: deps $(PROGS)

deps:
	@sh scripts/deps.sh

lib/%.o: lib/%.c lib/*.h Makefile
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

lib/libcglever.a: $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

cgi-bin/webhook.fcgi: cgi-bin/webhook.c lib/libcglever.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ lib/libcglever.a $(LIBS) $(LDFLAGS)

cgi-bin/oauth.fcgi: cgi-bin/oauth.c lib/libcglever.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ lib/libcglever.a $(LIBS) $(LDFLAGS)

cgi-bin/admin.fcgi: cgi-bin/admin.c lib/libcglever.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ lib/libcglever.a $(LIBS) $(LDFLAGS)

bin/cglever-ctl: bin/cglever-ctl.c lib/libcglever.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ lib/libcglever.a $(LIBS) $(LDFLAGS)

# Every test: numbered shell scripts under tests/, real lighttpd, real
# Berkeley DB, the simulators in tests/fakes.
check: all
	sh tests/run.sh

# The service on http://127.0.0.1:8080 with the bundled simulators.
run: all
	sh scripts/run.sh

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/cglever/cgi-bin
	install -m 0755 bin/cglever-ctl $(DESTDIR)$(PREFIX)/bin/cglever-ctl
	install -m 0755 cgi-bin/webhook.fcgi cgi-bin/oauth.fcgi cgi-bin/admin.fcgi \
		$(DESTDIR)$(PREFIX)/lib/cglever/cgi-bin/
	install -d $(DESTDIR)$(SYSCONFDIR)/cglever
	install -m 0644 etc/cglever.conf.example $(DESTDIR)$(SYSCONFDIR)/cglever/cglever.conf.example

clean:
	rm -f lib/*.o lib/libcglever.a $(PROGS)
	rm -rf tests/tmp
