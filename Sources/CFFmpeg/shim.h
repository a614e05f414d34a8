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
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>

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
/// AVERROR_STREAM_NOT_FOUND (av_find_best_stream: no stream of the asked type).
static inline int omni_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
/// AVERROR_EXIT (what an interrupt callback makes blocking calls return).
static inline int omni_averror_exit(void) { return AVERROR_EXIT; }
/// AV_ERROR_MAX_STRING_SIZE, for av_strerror buffers.
static inline int omni_av_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }
/// Number of channels of a stream's parameters (FFmpeg >= 5.1 channel layout API).
static inline int omni_codecpar_channels(const AVCodecParameters *par) { return par->ch_layout.nb_channels; }
/// The stream's codec name ("mp3", "opus"), never NULL.
static inline const char *omni_codec_name(const AVCodecParameters *par) { return avcodec_get_name(par->codec_id); }

/// AVERROR(EAGAIN): the decoder wants more input (or has no frame yet).
static inline int omni_averror_eagain(void) { return AVERROR(EAGAIN); }
/// Number of channels of a decoded frame.
static inline int omni_frame_channels(const AVFrame *frame) { return frame->ch_layout.nb_channels; }
/// Number of channels a codec context decodes to.
static inline int omni_codec_context_channels(const AVCodecContext *ctx) { return ctx->ch_layout.nb_channels; }

/// Receives one formatted FFmpeg log line (no va_list: Swift cannot define C functions taking one).
typedef void (*omni_log_sink)(int level, const char *line);

/// The sink the trampoline forwards to. A header `static` is one variable per C translation unit
/// that uses it; only MediaIO installs a sink, so there is exactly one. Accessed atomically.
static omni_log_sink omni_log_sink_current = NULL;

/// The av_log callback: formats the line with FFmpeg's own formatter, then calls the sink.
/// Levels chattier than AV_LOG_WARNING are dropped before formatting.
static inline void omni_log_trampoline(void *avcl, int level, const char *fmt, va_list vl) {
    omni_log_sink sink = __atomic_load_n(&omni_log_sink_current, __ATOMIC_ACQUIRE);
    if (sink == NULL || level > AV_LOG_WARNING) return;
    char line[1024];
    int print_prefix = 1;
    av_log_format_line2(avcl, level, fmt, vl, line, (int)sizeof line, &print_prefix);
    sink(level, line);
}

/// Installs `sink` as the destination of every FFmpeg log message (NULL silences FFmpeg).
static inline void omni_log_set_sink(omni_log_sink sink) {
    __atomic_store_n(&omni_log_sink_current, sink, __ATOMIC_RELEASE);
    av_log_set_callback(omni_log_trampoline);
}

#endif
