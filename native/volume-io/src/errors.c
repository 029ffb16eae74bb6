#include "errors.h"

#include <errno.h>
#include <string.h>

static const char* errno_name(int error) {
  switch (error) {
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EROFS: return "EROFS";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EFBIG: return "EFBIG";
    case ECANCELED: return "ECANCELED";
    default: return "EUNKNOWN";
  }
}

napi_value system_error(napi_env env, int error, const char* syscall) {
  napi_value message, code, name, result;
  napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &result);
  napi_create_string_utf8(env, errno_name(error), NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, result, "code", code);
  if (syscall) {
    napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &name);
    napi_set_named_property(env, result, "syscall", name);
  }
  return result;
}
