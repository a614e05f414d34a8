#ifndef OMNISONIC_CALSA_SHIM_H
#define OMNISONIC_CALSA_SHIM_H
// ALSA's libasound as one C module for Swift. Swift cannot import function-like macros nor call
// or define variadic C functions, so what the player needs of those is wrapped here.
#include <alsa/asoundlib.h>

/// An error handler that drops libasound's own messages (they go to stderr by default); the
/// player reports errors itself from the return codes. Variadic, so it has to live in C.
static inline void omni_snd_silent_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

/// Silences libasound's stderr messages (process-wide; idempotent).
static inline void omni_snd_silence_errors(void) { snd_lib_error_set_handler(omni_snd_silent_handler); }

/// Parses the configuration text `config` (ALSA's own syntax) into a new tree. Returns 0 and
/// the tree in `*tree`, which the caller frees with snd_config_delete, or a negative errno (and
/// nothing to free).
static inline int omni_snd_config_from_text(const char *config, snd_config_t **tree) {
    snd_config_t *top = NULL;
    snd_input_t *in = NULL;
    int err = snd_config_top(&top);
    if (err < 0) return err;
    err = snd_input_buffer_open(&in, config, -1);
    if (err < 0) { snd_config_delete(top); return err; }
    err = snd_config_load(top, in);
    snd_input_close(in);
    if (err < 0) { snd_config_delete(top); return err; }
    *tree = top;
    return 0;
}

/// Opens `name` from the configuration text `config` (ALSA's own syntax) instead of the global
/// configuration, so tests can define private devices (a `file` plugin over `null`) without
/// touching the environment. Returns 0 or a negative errno. On success `*tree` holds the parsed
/// configuration, which the caller frees with snd_config_delete after closing the pcm (plugins
/// may keep pointers into it).
static inline int omni_snd_pcm_open_from_text(snd_pcm_t **pcm, const char *name, const char *config, int mode,
                                              snd_config_t **tree) {
    snd_config_t *top = NULL;
    int err = omni_snd_config_from_text(config, &top);
    if (err < 0) return err;
    err = snd_pcm_open_lconf(pcm, name, SND_PCM_STREAM_PLAYBACK, mode, top);
    if (err < 0) { snd_config_delete(top); return err; }
    *tree = top;
    return 0;
}

/// The names of the PCMs the configuration text `config` defines (`pcm.NAME { ... }`), one per
/// line, in a malloc'd string the caller frees; NULL when the text does not parse or defines none.
static inline char *omni_snd_pcm_names_from_text(const char *config) {
    snd_config_t *top = NULL, *pcms = NULL;
    if (omni_snd_config_from_text(config, &top) < 0) return NULL;
    if (snd_config_search(top, "pcm", &pcms) < 0) { snd_config_delete(top); return NULL; }
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) { snd_config_delete(top); return NULL; }
    snd_config_iterator_t i, next;
    snd_config_for_each(i, next, pcms) {
        const char *id = NULL;
        if (snd_config_get_id(snd_config_iterator_entry(i), &id) >= 0 && id) fprintf(out, "%s\n", id);
    }
    fclose(out);
    snd_config_delete(top);
    return text;
}

#endif
