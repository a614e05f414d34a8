#ifndef OMNI_CFOURCC_H
#define OMNI_CFOURCC_H

#include <stdint.h>

/// libavutil's `av_fourcc_make_string`, the same bytes without `snprintf` (fourcc.c says why):
/// writes the four characters of `fourcc` into `buf` (at least 32 bytes), each one that is not
/// a letter, digit, '.', ' ', '-' or '_' as "[%d]", and returns `buf`.
char *av_fourcc_make_string(char *buf, uint32_t fourcc);

#endif
