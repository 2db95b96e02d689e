# make bench: the benchmark (issue 8). Included from the main Makefile;
# not part of make check. bench/run.sh does the work; results in
# bench/results.md and the README's "Benchmark" section.
.PHONY: bench
BENCH_PROGS := bench/trivial.fcgi bench/commitprobe bench/histseed

bench: deps-check all $(BENCH_PROGS)
	bash bench/run.sh

bench/trivial.fcgi: bench/trivial.c
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ $(FCGI_LIBS) $(LDFLAGS)

bench/commitprobe: bench/commitprobe.c lib/libcglever.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ lib/libcglever.a $(LIBS) $(LDFLAGS)

bench/histseed: bench/histseed.c lib/libcglever.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@ lib/libcglever.a $(LIBS) $(LDFLAGS)
