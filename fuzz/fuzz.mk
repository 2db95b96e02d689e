# libFuzzer targets, one per parser of untrusted input (fuzz/*.c).
# Included from the Makefile. Built with clang into fuzz/build/, the lib
# sources compiled there again: lib/*.o are gcc builds without coverage.
#   make fuzz         every target FUZZ_SECONDS (600) in turn
#   make fuzz-short   every target FUZZ_SHORT_SECONDS (12): for make check
# Each run works on a scratch copy of fuzz/corpus/<target>/ under
# fuzz/build/run/<target>/ (log, crash inputs), so the repo corpus stays
# as committed. A crash input replays with `fuzz/build/<target> FILE`;
# worth keeping, it goes into fuzz/corpus/<target>/ once fixed.
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 600
FUZZ_SHORT_SECONDS ?= 12
FUZZ_SAN     := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Ilib -Ifuzz $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_B       := fuzz/build
FUZZ_TARGETS := fuzz_webhook fuzz_form fuzz_conf fuzz_lever_reply fuzz_codingame_reply

# The lib/ sources each target links.
FUZZ_STORE := $(patsubst lib/%.c,%,$(wildcard lib/store/*.c))
FUZZ_BASE  := $(patsubst lib/%.c,%,$(wildcard lib/base/*.c))
FUZZ_LIB_fuzz_webhook         := domain/intake $(FUZZ_STORE) $(FUZZ_BASE)
FUZZ_LIB_fuzz_form            := web/form $(FUZZ_BASE)
FUZZ_LIB_fuzz_conf            := $(FUZZ_BASE)
FUZZ_LIB_fuzz_lever_reply     := clients/lever_parse clients/lever_token net/http net/ratelimit $(FUZZ_BASE)
FUZZ_LIB_fuzz_codingame_reply := clients/codingame_parse $(FUZZ_BASE)

.PHONY: fuzz fuzz-short fuzz-build fuzz-clean
fuzz: deps-check fuzz-build
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-short: fuzz-build
	@sh fuzz/run.sh $(FUZZ_SHORT_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(addprefix $(FUZZ_B)/,$(FUZZ_TARGETS))

$(FUZZ_B)/lib/%.o: lib/%.c $(wildcard lib/*/*.h) fuzz/fuzz.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_B)/%.o: fuzz/%.c fuzz/fuzz_common.h $(wildcard lib/*/*.h) fuzz/fuzz.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -c $< -o $@

# One link rule per target: its own object, the shared helpers, its lib/.
define FUZZ_LINK
$(FUZZ_B)/$(1): $(FUZZ_B)/$(1).o $(FUZZ_B)/fuzz_common.o \
		$(patsubst %,$(FUZZ_B)/lib/%.o,$(sort base/jsonutil $(FUZZ_LIB_$(1))))
	@$$(if $$(Q),echo "  FUZZLD  $$@")
	$$(Q)$$(FUZZ_CC) $$(FUZZ_SAN) $$^ -o $$@ $$(LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_LINK,$(t))))

fuzz-clean:
	rm -rf $(FUZZ_B)
clean: fuzz-clean
