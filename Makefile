# cglever: plain GNU Makefile. Site overrides go in Makefile.local.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
DESTDIR    ?=
# FHS: programs in lib/cgi-bin/cglever, the ctl program in sbin, the
# configuration in /etc/cglever, the data in /var/lib/cglever.
SBINDIR    ?= $(PREFIX)/sbin
CGIDIR     ?= $(PREFIX)/lib/cgi-bin/cglever
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(LOCALSTATEDIR)/lib/cglever
LIBEXECDIR ?= $(PREFIX)/lib/cglever
SYSTEMDDIR ?= $(SYSCONFDIR)/systemd/system
# The programs run as their own user, never as the web server's (any
# other program it runs could read the key and the database); the web
# server's user only reaches their sockets. CGLEVER_USER=www-data is the
# opt-in layout where the web server starts them itself (INSTALL, 14).
CGLEVER_USER ?= cglever
WWW_USER   ?= www-data
# The version, in one place: the first line of debian/changelog (the
# Debian tools read it there). cglever-ctl --version prints it.
VERSION    := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
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
	-DCGLEVER_DEFAULT_CTL='"$(SBINDIR)/cglever-ctl"'

# O=DIR/ builds into DIR (the sanitizer builds); empty: in the tree.
O       ?=
LIB_SRC := $(wildcard lib/*/*.c)
LIB_OBJ := $(patsubst %.c,$(O)%.o,$(LIB_SRC))
LIB_A   := $(O)lib/libcglever.a
PROGS   := $(addprefix $(O),cgi-bin/webhook.fcgi cgi-bin/oauth.fcgi cgi-bin/admin.fcgi bin/cglever-ctl)

.PHONY: all progs deps deps-check check asan check-asan check-valgrind chaos run install uninstall deb clean
all: deps progs
progs: $(PROGS)

# deps: what the programs need to build and run, nothing else (no web
# server, browser or test tool; no service enabled). deps-check: that and
# the test bench, for check, run, bench, chaos, the sanitizer runs and fuzz.
# As root they apt-get what is missing; otherwise they print the line and fail.
deps:
	@sh scripts/deps.sh
deps-check:
	@sh scripts/deps.sh check

$(O)lib/%.o: lib/%.c $(wildcard lib/*/*.h) Makefile
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(O)cgi-bin/%.fcgi: cgi-bin/%.c $(LIB_A)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ $(LIB_A) $(LIBS) $(LDFLAGS)

$(O)bin/cglever-ctl: bin/cglever-ctl.c $(LIB_A) debian/changelog
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -DCGLEVER_VERSION='"$(VERSION)"' $< -o $@ $(LIB_A) $(LIBS) $(LDFLAGS)

# Every test: numbered shell scripts under tests/, real lighttpd, real
# Berkeley DB, the simulators in tests/fakes.
check: deps-check all
	sh tests/run.sh

# The unit and end-to-end tests (under lighttpd) with every program built
# with ASan+UBSan (build/asan/) or run under valgrind: any report, leak or
# invalid access fails the test that caused it. `make check` runs a core
# subset of each (tests/t0020-sanitizers.sh).
SAN_TESTS ?= t0001-config t0002-deliver t0003-once t0004-bad-input t0005-rules \
	t0006-no-email t0007-faults t0008-load t0009-secrets t0012-oauth t0013-results \
	t0015-admin-pages t0016-backup
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
asan: deps
	$(Q)$(MAKE) --no-print-directory O=build/asan/ CFLAGS="$(SAN_CFLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" progs
check-asan: deps-check asan
	CGLEVER_BUILD=$(CURDIR)/build/asan CGLEVER_SANITIZER=asan HTTPDS=lighttpd \
		TESTS="$(SAN_TESTS)" sh tests/run.sh
check-valgrind: deps-check all
	CGLEVER_SANITIZER=valgrind HTTPDS=lighttpd TESTS="$(SAN_TESTS)" sh tests/run.sh

# The chaos run alone (kills, repeats, lost replies; about a minute); the
# whole fault suite runs in `make check`.
chaos: deps-check all
	bash tests/faults/chaos.sh

-include fuzz/fuzz.mk
-include bench/bench.mk

# The service on http://127.0.0.1:8080 with the bundled simulators.
run: deps-check all
	sh scripts/run.sh

# The files under etc/ name the Debian package's paths (/usr/lib/cgi-bin/cglever,
# /usr/sbin, /etc/cglever, the user cglever) or @PLACEHOLDERS@: both become this install's.
SUBST = sed -e 's|@CGIDIR@|$(CGIDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
	-e 's|@CGLEVER_USER@|$(CGLEVER_USER)|g' -e 's|@WWW_USER@|$(WWW_USER)|g' \
	-e 's|/usr/lib/cgi-bin/cglever|$(CGIDIR)|g' -e 's|/usr/sbin/cglever-ctl|$(SBINDIR)/cglever-ctl|g' \
	-e 's|/etc/cglever/|$(SYSCONFDIR)/cglever/|g' -e 's,^\(User\|Group\)=cglever$$,\1=$(CGLEVER_USER),' \
	-e 's|^SocketGroup=www-data$$|SocketGroup=$(WWW_USER)|'
CONF_D = $(DESTDIR)$(SYSCONFDIR)/cglever
ROOT_HERE = [ "$$(id -u)" = 0 ] && [ -z "$(DESTDIR)" ]
UNITS = cglever-webhook.socket cglever-oauth.socket cglever-admin.socket cglever-sweep.timer

# SOURCE:DESTINATION under SYSCONFDIR. The default: Apache's and
# lighttpd's snippets reach the programs' sockets (cglever.conf,
# 50-cglever.conf), which systemd's units or, without systemd, cron's
# @reboot line (cglever-spawn) start as CGLEVER_USER. The *-www-data
# snippets are the opt-in layout where the web server starts them.
WEB_FILES = etc/apache2/cglever-proxy-fcgi.conf:apache2/conf-available/cglever.conf \
	etc/apache2/cglever-www-data.conf:apache2/conf-available/cglever-www-data.conf \
	etc/lighttpd/cglever-sockets.conf:lighttpd/conf-available/50-cglever.conf \
	etc/lighttpd/cglever-www-data.conf:lighttpd/conf-available/50-cglever-www-data.conf \
	etc/cron.d/cglever:cron.d/cglever \
	$(foreach u,webhook oauth admin,etc/systemd/cglever-$(u).socket:systemd/system/cglever-$(u).socket \
		etc/systemd/cglever-$(u).service:systemd/system/cglever-$(u).service) \
	etc/systemd/cglever-sweep.service:systemd/system/cglever-sweep.service \
	etc/systemd/cglever-sweep.timer:systemd/system/cglever-sweep.timer

install: $(PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(CGIDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/apache2/conf-available \
		$(DESTDIR)$(SYSCONFDIR)/lighttpd/conf-available $(DESTDIR)$(SYSCONFDIR)/cron.d \
		$(DESTDIR)$(SYSCONFDIR)/systemd/system
	install -m 0755 bin/cglever-ctl $(DESTDIR)$(SBINDIR)/cglever-ctl
	install -m 0755 cgi-bin/webhook.fcgi cgi-bin/oauth.fcgi cgi-bin/admin.fcgi $(DESTDIR)$(CGIDIR)/
	$(SUBST) scripts/cglever-spawn >$(DESTDIR)$(LIBEXECDIR)/cglever-spawn
	chmod 0755 $(DESTDIR)$(LIBEXECDIR)/cglever-spawn
	install -m 0644 man/cglever-ctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/cglever.conf.5 $(DESTDIR)$(MANDIR)/man5/
	@# The web server, cron and systemd files: written when missing or
	@# unchanged; one the admin edited is kept, and this version's goes beside it.
	@for p in $(WEB_FILES); do \
		dst=$(DESTDIR)$(SYSCONFDIR)/$${p#*:}; \
		$(SUBST) $${p%%:*} >$$dst.cglever-new || exit 1; \
		if [ -e $$dst ] && ! cmp -s $$dst $$dst.cglever-new; then \
			echo "install: $$dst differs from this version's: kept; this version's is $$dst.cglever-new"; \
		else \
			mv -f $$dst.cglever-new $$dst; \
		fi; \
	done
	@# The programs' user: made here when installing as root into this
	@# system, as the Debian package does.
	@if $(ROOT_HERE) && ! id $(CGLEVER_USER) >/dev/null 2>&1; then \
		adduser --system --group --quiet --home $(DATADIR) --no-create-home \
			--shell /usr/sbin/nologin --gecos cglever $(CGLEVER_USER) && \
		echo "install: made the system user $(CGLEVER_USER)"; \
	fi
	install -d -m 0755 $(CONF_D)
	install -d -m 0700 $(DESTDIR)$(DATADIR)
	install -m 0644 etc/cglever.conf.example $(CONF_D)/cglever.conf.example
	@# The configuration: written once, never overwritten.
	@if [ -e $(CONF_D)/cglever.conf ]; then \
		echo "install: $(CONF_D)/cglever.conf exists: kept, not overwritten"; \
	else \
		sed -e 's|^db_home = .*|db_home = $(DATADIR)|' \
		    -e 's|^secret_key_file = .*|secret_key_file = $(SYSCONFDIR)/cglever/secret.key|' \
		    -e 's|^#ctl_path = .*|ctl_path = $(SBINDIR)/cglever-ctl|' \
		    etc/cglever.conf.example >$(CONF_D)/cglever.conf && \
		chmod 0640 $(CONF_D)/cglever.conf && \
		echo "install: wrote $(CONF_D)/cglever.conf: set public_url and the services there"; \
	fi
	@# The encryption key: made once, readable by the programs' user only.
	@if [ ! -e $(CONF_D)/secret.key ]; then \
		(umask 077; openssl rand -hex 32 >$(CONF_D)/secret.key) && chmod 0400 $(CONF_D)/secret.key && \
		echo "install: made $(CONF_D)/secret.key (keep a copy with the backups)"; \
	fi
	@# Owners: the configuration root:CGLEVER_USER 0640, the key and the
	@# data CGLEVER_USER's alone (not in a scratch DESTDIR run by a user).
	@if [ "$$(id -u)" = 0 ] && id $(CGLEVER_USER) >/dev/null 2>&1; then \
		g=$$(id -gn $(CGLEVER_USER)) && chown root:$$g $(CONF_D)/cglever.conf && \
		chown $(CGLEVER_USER):$$g $(CONF_D)/secret.key $(DESTDIR)$(DATADIR); \
	else \
		echo "install: no user $(CGLEVER_USER) or not root: as root, make it and give it its files:"; \
		echo "  adduser --system --group --home $(DATADIR) --no-create-home --shell /usr/sbin/nologin $(CGLEVER_USER)"; \
		echo "  chown root:$(CGLEVER_USER) $(SYSCONFDIR)/cglever/cglever.conf; chown $(CGLEVER_USER): $(SYSCONFDIR)/cglever/secret.key $(DATADIR)"; \
	fi
	@[ "$(CGLEVER_USER)" != "$(WWW_USER)" ] || \
		echo "install: CGLEVER_USER=$(WWW_USER): the web server runs the programs (a2enconf cglever-www-data or lighty-enable-mod cglever-www-data); any other program it runs can read the key and the database"
	@# Start the sockets and the sweep's timer where systemd runs here.
	@if $(ROOT_HERE) && [ -d /run/systemd/system ] && [ "$(CGLEVER_USER)" != "$(WWW_USER)" ]; then \
		systemctl daemon-reload && systemctl enable --now $(UNITS) && \
		echo "install: started $(UNITS)"; \
	else \
		echo "install: start the programs as $(CGLEVER_USER): systemctl enable --now $(UNITS) where systemd runs, else $(LIBEXECDIR)/cglever-spawn start (cron's @reboot line does it at boot; INSTALL, 14)"; \
	fi

uninstall:
	-@if $(ROOT_HERE) && [ -d /run/systemd/system ]; then systemctl disable --now $(UNITS) 2>/dev/null; fi
	rm -f $(DESTDIR)$(SBINDIR)/cglever-ctl $(DESTDIR)$(CGIDIR)/webhook.fcgi \
		$(DESTDIR)$(CGIDIR)/oauth.fcgi $(DESTDIR)$(CGIDIR)/admin.fcgi \
		$(DESTDIR)$(LIBEXECDIR)/cglever-spawn \
		$(DESTDIR)$(MANDIR)/man8/cglever-ctl.8 $(DESTDIR)$(MANDIR)/man5/cglever.conf.5 \
		$(CONF_D)/cglever.conf.example \
		$(foreach p,$(WEB_FILES),$(DESTDIR)$(SYSCONFDIR)/$(lastword $(subst :, ,$(p))) \
			$(DESTDIR)$(SYSCONFDIR)/$(lastword $(subst :, ,$(p))).cglever-new)
	-rmdir $(DESTDIR)$(CGIDIR) $(DESTDIR)$(LIBEXECDIR)
	@echo "uninstall: kept $(CONF_D) (configuration, key), $(DESTDIR)$(DATADIR) (data) and the user $(CGLEVER_USER): remove them by hand to forget everything"

# The Debian package (INSTALL), built by the standard tools
# (dpkg-buildpackage -us -uc -b, debhelper) in a copy of the source under
# build/deb/: the files git tracks plus new ones not ignored, or the whole
# tree without build outputs where there is no git. The package lands in
# build/deb/cglever_$(VERSION)_ARCH.deb; lintian checks it when installed.
DEB_SRC = build/deb/cglever-$(VERSION)
deb:
	rm -rf build/deb
	mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			tar --null --ignore-failed-read -T - -cf -; \
	else \
		tar --exclude=./build --exclude=./tests/tmp --exclude='*.o' --exclude='*.a' -cf - .; \
	fi | tar -C $(DEB_SRC) -xf -
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	if command -v lintian >/dev/null 2>&1; then lintian --fail-on error,warning build/deb/*.changes; fi
	@echo "deb: $$(ls build/deb/cglever_*.deb)"

clean:
	rm -f lib/*/*.o lib/libcglever.a $(PROGS)
	rm -rf tests/tmp build
