#ifndef CAUDITDEFLATE_SHIM_H
#define CAUDITDEFLATE_SHIM_H
// libdeflate: whole-buffer DEFLATE, several times faster than zlib's streaming inflate. auditq uses it
// where a gzip member's bytes are all in memory (a sealed block); zlib stays for streams and torn tails.
#include <libdeflate.h>
#endif
