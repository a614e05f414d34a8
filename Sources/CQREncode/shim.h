#ifndef OMNISONIC_CQRENCODE_SHIM_H
#define OMNISONIC_CQRENCODE_SHIM_H
// Debian's libqrencode (libqrencode-dev): QR symbols for the sync server's admin page and the
// Subsonic pairing page. Only QRcode_encodeData and QRcode_free are used (Sources/QRCode).
#include <qrencode.h>
#endif
