// What Node's fs lacks for volume files: where a sparse file holds data, and writes that
// bypass the page cache.
#include <node_api.h>

napi_value data_extents(napi_env env, napi_callback_info info);
napi_value write_direct(napi_env env, napi_callback_info info);

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "dataExtents", NAPI_AUTO_LENGTH, data_extents, NULL, &fn);
  napi_set_named_property(env, exports, "dataExtents", fn);
  napi_create_function(env, "writeDirect", NAPI_AUTO_LENGTH, write_direct, NULL, &fn);
  napi_set_named_property(env, exports, "writeDirect", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
