/* The one table of ayil error codes and their messages. */
#include "ayil/error.h"

const char *ayil_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define XX(name, msg)                                                          \
  case AYIL_E##name:                                                           \
    return msg;
    AYIL_ERRNO_MAP(XX)
#undef XX
  default:
    return "unknown error";
  }
}

const char *ayil_err_name(int err) {
  switch (err) {
  case 0:
    return "OK";
#define XX(name, msg)                                                          \
  case AYIL_E##name:                                                           \
    return #name;
    AYIL_ERRNO_MAP(XX)
#undef XX
  default:
    return "UNKNOWN";
  }
}
