// dataExtents(path): the [start, end) ranges of a file that may hold data, found with
// lseek(SEEK_DATA/SEEK_HOLE), run on the libuv thread pool. Returns a Float64Array of
// start/end pairs. Where the file system does not support SEEK_DATA (EINVAL), the whole
// file is one range: data is never reported as a hole.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

typedef struct {
  char* path;
  double* ranges;
  size_t count;      // doubles used
  size_t capacity;   // doubles allocated
  int error;         // errno, 0 when fine
  const char* syscall;
  napi_deferred deferred;
  napi_async_work work;
} Job;

static int push(Job* job, double start, double end) {
  if (job->count + 2 > job->capacity) {
    size_t capacity = job->capacity ? job->capacity * 2 : 64;
    double* grown = realloc(job->ranges, capacity * sizeof(double));
    if (!grown) return ENOMEM;
    job->ranges = grown;
    job->capacity = capacity;
  }
  job->ranges[job->count++] = start;
  job->ranges[job->count++] = end;
  return 0;
}

static void execute(napi_env env, void* data) {
  (void)env;
  Job* job = data;
  int fd = open(job->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    job->error = errno;
    job->syscall = "open";
    return;
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    job->error = errno;
    job->syscall = "fstat";
    close(fd);
    return;
  }
  off_t size = info.st_size;
  off_t position = 0;
  while (position < size) {
    off_t start = lseek(fd, position, SEEK_DATA);
    if (start < 0) {
      if (errno == ENXIO) break;  // no data after position
      if (errno == EINVAL && position == 0) {
        job->error = push(job, 0, (double)size);  // cannot tell: all of it may be data
        break;
      }
      job->error = errno;
      job->syscall = "lseek";
      break;
    }
    off_t end = lseek(fd, start, SEEK_HOLE);
    if (end < 0) {
      job->error = errno;
      job->syscall = "lseek";
      break;
    }
    if ((job->error = push(job, (double)start, (double)end)) != 0) break;
    position = end;
  }
  close(fd);
}

static void complete(napi_env env, napi_status status, void* data) {
  Job* job = data;
  if (status != napi_ok) {
    napi_reject_deferred(env, job->deferred, system_error(env, ECANCELED, "dataExtents"));
  } else if (job->error) {
    napi_reject_deferred(env, job->deferred, system_error(env, job->error, job->syscall));
  } else {
    void* bytes = NULL;
    napi_value buffer, array;
    napi_create_arraybuffer(env, job->count * sizeof(double), &bytes, &buffer);
    if (job->count) memcpy(bytes, job->ranges, job->count * sizeof(double));
    napi_create_typedarray(env, napi_float64_array, job->count, buffer, 0, &array);
    napi_resolve_deferred(env, job->deferred, array);
  }
  napi_delete_async_work(env, job->work);
  free(job->ranges);
  free(job->path);
  free(job);
}

napi_value data_extents(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  size_t length;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "dataExtents(path): path must be a string");
    return NULL;
  }
  Job* job = calloc(1, sizeof(Job));
  job->path = malloc(length + 1);
  napi_get_value_string_utf8(env, argv[0], job->path, length + 1, &length);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "dataExtents", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}
