// Prints what TagLib reads from each file as one JSON line (bench/taglib/run.sh compares it with
// `omnisonicd probe --json`). Built by run.sh against Debian's libtag1-dev.
#include <taglib/fileref.h>
#include <taglib/tag.h>
#include <taglib/tpropertymap.h>
#include <cstdio>
#include <string>

static std::string json(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) { char b[8]; snprintf(b, sizeof b, "\\u%04x", c); out += b; } else out += (char)c;
        }
    }
    return out + "\"";
}

static void field(std::string &line, const char *key, const TagLib::PropertyMap &props, const char *name) {
    auto it = props.find(name);
    if (it == props.end() || it->second.isEmpty()) return;
    line += ",\"" + std::string(key) + "\":[";
    bool first = true;
    for (const auto &value : it->second) {
        if (!first) line += ",";
        line += json(value.to8Bit(true));
        first = false;
    }
    line += "]";
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        std::string line = "{\"path\":" + json(argv[i]);
        TagLib::FileRef ref(argv[i]);
        if (ref.isNull()) {
            line += ",\"error\":\"unreadable\"}";
            puts(line.c_str());
            continue;
        }
        if (ref.tag()) {
            TagLib::PropertyMap props = ref.file()->properties();
            field(line, "title", props, "TITLE");
            field(line, "artist", props, "ARTIST");
            field(line, "album", props, "ALBUM");
            field(line, "albumartist", props, "ALBUMARTIST");
            field(line, "track", props, "TRACKNUMBER");
            field(line, "disc", props, "DISCNUMBER");
            field(line, "date", props, "DATE");
            field(line, "genre", props, "GENRE");
            field(line, "comment", props, "COMMENT");
        }
        if (auto *audio = ref.audioProperties()) {
            char buffer[160];
            snprintf(buffer, sizeof buffer, ",\"durationMs\":%d,\"bitrateKbps\":%d,\"sampleRate\":%d,\"channels\":%d",
                     audio->lengthInMilliseconds(), audio->bitrate(), audio->sampleRate(), audio->channels());
            line += buffer;
        }
        line += "}";
        puts(line.c_str());
    }
    return 0;
}
