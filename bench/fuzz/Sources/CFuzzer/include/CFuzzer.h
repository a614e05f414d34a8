#ifndef OMNISONIC_CFUZZER_H
#define OMNISONIC_CFUZZER_H
#include <stddef.h>
#include <stdint.h>
// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM links an executable with
// `main` aliased to `<Target>_main`, which `-parse-as-library` never emits, so each target
// defines that symbol itself and hands control to libFuzzer here.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
