// writeDirect(fd, data, position): writes `data` at `position` of a file opened with O_DIRECT,
// on the libuv thread pool, leaving every all-zero 64 KiB segment unwritten. Resolves with
// the bytes that reached the file.
//
// Only for a file that is all holes where it is written (a volume just created): a segment
// left out must already read as zeros. O_DIRECT needs memory aligned to the device's block,
// which a JavaScript buffer is not, so each write goes through an aligned buffer of a small
// pool; it stays warm, while buffered writes would take a fresh page of the page cache for
// every 4 KiB (docs/decisions/capture-restore-speed.md). `position` and the length must be
// multiples of 4096; the caller writes anything else through a buffered descriptor.
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

#define ALIGNMENT 4096
#define SEGMENT (64 * 1024)
#define POOLED_BYTES (4 * 1024 * 1024)
#define POOL_SIZE 16

static const uint8_t zeros[SEGMENT];

// Aligned buffers of POOLED_BYTES, kept between writes; a longer write gets one of its own.
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void* pool[POOL_SIZE];
static int pooled = 0;

static void* take_buffer(size_t length) {
  if (length <= POOLED_BYTES) {
    pthread_mutex_lock(&pool_lock);
    void* buffer = pooled > 0 ? pool[--pooled] : NULL;
    pthread_mutex_unlock(&pool_lock);
    if (buffer) return buffer;
    length = POOLED_BYTES;
  }
  void* buffer = NULL;
  return posix_memalign(&buffer, ALIGNMENT, length) == 0 ? buffer : NULL;
}

static void give_back(void* buffer, size_t length) {
  if (length <= POOLED_BYTES) {
    pthread_mutex_lock(&pool_lock);
    if (pooled < POOL_SIZE) {
      pool[pooled++] = buffer;
      buffer = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
  }
  free(buffer);
}

typedef struct {
  int fd;
  const uint8_t* data;
  size_t length;
  int64_t position;
  napi_ref data_ref;  // keeps `data` alive while a pool thread reads it
  double written;
  int error;
  const char* syscall;
  napi_deferred deferred;
  napi_async_work work;
} WriteJob;

static int is_zero(const uint8_t* bytes, size_t length) {
  return memcmp(bytes, zeros, length) == 0;
}

static void execute(napi_env env, void* data) {
  (void)env;
  WriteJob* job = data;
  uint8_t* aligned = take_buffer(job->length);
  if (!aligned) {
    job->error = ENOMEM;
    job->syscall = "posix_memalign";
    return;
  }
  size_t offset = 0;
  while (offset < job->length && !job->error) {
    size_t segment = job->length - offset < SEGMENT ? job->length - offset : SEGMENT;
    if (is_zero(job->data + offset, segment)) {
      offset += segment;
      continue;
    }
    // A run of segments with data, written in one request.
    size_t start = offset;
    do {
      offset += segment;
      segment = job->length - offset < SEGMENT ? job->length - offset : SEGMENT;
    } while (offset < job->length && !is_zero(job->data + offset, segment));
    memcpy(aligned + start, job->data + start, offset - start);
    for (size_t done = start; done < offset;) {
      ssize_t n = pwrite(job->fd, aligned + done, offset - done, job->position + (int64_t)done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        job->error = n < 0 ? errno : EIO;
        job->syscall = "pwrite";
        break;
      }
      done += (size_t)n;
      job->written += (double)n;
    }
  }
  give_back(aligned, job->length);
}

static void complete(napi_env env, napi_status status, void* data) {
  WriteJob* job = data;
  if (status != napi_ok) {
    napi_reject_deferred(env, job->deferred, system_error(env, ECANCELED, "writeDirect"));
  } else if (job->error) {
    napi_reject_deferred(env, job->deferred, system_error(env, job->error, job->syscall));
  } else {
    napi_value written;
    napi_create_double(env, job->written, &written);
    napi_resolve_deferred(env, job->deferred, written);
  }
  napi_delete_reference(env, job->data_ref);
  napi_delete_async_work(env, job->work);
  free(job);
}

napi_value write_direct(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  int64_t position;
  napi_typedarray_type type;
  size_t length;
  void* bytes;
  napi_value buffer;
  size_t byte_offset;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &bytes, &buffer, &byte_offset) != napi_ok || type != napi_uint8_array ||
      napi_get_value_int64(env, argv[2], &position) != napi_ok) {
    napi_throw_type_error(env, NULL, "writeDirect(fd, data, position): fd a number, data a Uint8Array, position a number");
    return NULL;
  }
  if (position < 0 || position % ALIGNMENT != 0 || length % ALIGNMENT != 0) {
    napi_throw_range_error(env, NULL, "writeDirect: position and length must be multiples of 4096");
    return NULL;
  }
  WriteJob* job = calloc(1, sizeof(WriteJob));
  if (!job) {
    napi_throw_error(env, NULL, "writeDirect: out of memory");
    return NULL;
  }
  job->fd = fd;
  job->data = bytes;
  job->length = length;
  job->position = position;
  napi_create_reference(env, argv[1], 1, &job->data_ref);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "writeDirect", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}
