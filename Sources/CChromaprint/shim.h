// libchromaprint (Debian: libchromaprint-dev), the acoustic fingerprint of AcoustID.
#include <chromaprint.h>
