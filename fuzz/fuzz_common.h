/* fuzz_common: what the fuzz targets share. A failed FUZZ_CHECK aborts,
 * whatever NDEBUG says, so libFuzzer keeps the input as a crash. */
#ifndef CGLEVER_FUZZ_COMMON_H
#define CGLEVER_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_CHECK(c) \
	((c) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #c))

/* libFuzzer's entry points. fuzz_common.c defines a weak
 * LLVMFuzzerInitialize for every target: logs at error level only, under
 * the program's name; a target that needs more (fuzz_conf) defines its own. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* 1 when buf[0..len) holds a JSON escape of NUL (\u0000): valid JSON has
 * backslashes only inside strings, so counting them pairwise is exact. */
int fuzz_has_escaped_nul(const uint8_t *buf, size_t len);

/* ju_parse's promises on these bytes: it rejects embedded NULs (raw or
 * escaped), so every string and key of a parsed tree is a C string of
 * its full length. */
void fuzz_check_ju_parse(const uint8_t *buf, size_t len);

/* A message buffer was filled: NUL-terminated within size and, when
 * nonempty is set, not empty. */
void fuzz_check_msg(const char *msg, size_t size, int nonempty);

/* A reply parser's outcome: known (one of the codes it may return), and
 * when not ok, a message in why as fuzz_check_msg wants it. */
void fuzz_check_outcome(int ok, int known, const char *why, size_t size);

/* A NUL-terminated copy of the bytes (aborts when out of memory). */
char *fuzz_strndup(const uint8_t *buf, size_t len);

#endif
