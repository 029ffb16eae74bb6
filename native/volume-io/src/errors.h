// Errors as Node's own fs calls make them: a message, `code` (the errno's name) and `syscall`.
#pragma once
#include <node_api.h>

napi_value system_error(napi_env env, int error, const char* syscall);
