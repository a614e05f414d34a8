#ifndef OMNISONIC_CFFMPEG_SHIM_H
#define OMNISONIC_CFFMPEG_SHIM_H
// FFmpeg as one C module for Swift. Swift cannot import function-like macros (AVERROR, ...)
// nor call variadic C functions, so the few we need are wrapped here as static inline functions.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/log.h>

/// AVERROR(e) for a POSIX errno value.
static inline int omni_averror(int e) { return AVERROR(e); }
/// AVERROR_EOF.
static inline int omni_averror_eof(void) { return AVERROR_EOF; }
/// AVERROR_INVALIDDATA.
static inline int omni_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
/// AV_NOPTS_VALUE (a macro built from a cast, not importable).
static inline int64_t omni_av_nopts_value(void) { return AV_NOPTS_VALUE; }
/// AV_TIME_BASE.
static inline int omni_av_time_base(void) { return AV_TIME_BASE; }

#endif
