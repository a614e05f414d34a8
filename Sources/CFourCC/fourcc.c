// libavutil's av_fourcc_make_string, without snprintf (decision 0039, "Probe threads, fourth
// round").
//
// libavformat's MP4 demuxer logs every atom it reads at AV_LOG_TRACE with two
// av_fourcc2str(...) arguments; C evaluates them whether or not the line is logged, and
// libavutil writes each of the four characters with its own snprintf call: ~2,100
// instructions a call, ~80 calls per M4A file, 4 % of what a probe ran (callgrind).
//
// Defined here, in the executable, it takes the place of libavutil's for every library that
// calls it (the dynamic linker looks in the executable first). It writes the same bytes:
// `FourCCTests` compares it with libavutil's own definition, found with dlsym, on every byte
// value in every position.
#include <stdint.h>
#include "fourcc.h"

char *av_fourcc_make_string(char *buf, uint32_t fourcc) {
    char *out = buf;
    // AV_FOURCC_MAX_STRING_SIZE is 32: four "[255]" (20 bytes) and the NUL always fit.
    for (int i = 0; i < 4; i++) {
        const unsigned c = fourcc & 0xff;
        const int printable = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || c == '.' || c == ' ' || c == '-' || c == '_';
        if (printable) {
            *out++ = (char)c;
        } else {
            // "[%d]"
            *out++ = '[';
            if (c >= 100) *out++ = (char)('0' + c / 100);
            if (c >= 10) *out++ = (char)('0' + c / 10 % 10);
            *out++ = (char)('0' + c % 10);
            *out++ = ']';
        }
        fourcc >>= 8;
    }
    *out = '\0';
    return buf;
}
