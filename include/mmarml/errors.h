/**
 * @file mmarml/errors.h
 * @brief Error codes and the thread-local error message.
 *
 * Every function that can fail returns an `int`: MMARML_OK (0) or a negative code below.
 * Details are kept per thread: after a failing call, mmarml_error_message() says what was
 * wrong and where (file, JSON path, key, worker ...). Codes are never renumbered or reused.
 */
#ifndef MMARML_ERRORS_H
#define MMARML_ERRORS_H

#include <stdarg.h>
#include "common.h"

/** X-macro list: name, value, static description. Generates the enum and the string tables. */
#define MMARML_ERRNO_MAP(XX)                                                         \
    XX(OK, 0, "success")                                                             \
    XX(ERROR, -1, "generic error")                                                   \
    XX(EINVAL, -2, "invalid argument")                                               \
    XX(ENOMEM, -3, "out of memory")                                                  \
    XX(ENOTFOUND, -4, "not found")                                                   \
    XX(EVERSION, -5, "unsupported version")                                          \
    XX(ENOTSUP, -6, "not supported")                                                 \
    XX(EBUSY, -7, "busy")                                                            \
    XX(ECANCELED, -8, "canceled")                                                    \
    XX(EMISUSE, -9, "library misuse (wrong state or order of calls)")                \
    XX(EUSER, -10, "error reported by a user callback")                              \
    XX(ITEROVER, -11, "end of iteration")                                            \
    XX(EIO, -12, "input/output error")                                               \
    XX(ETYPE, -13, "value has another type")                                         \
    XX(EEXISTS, -14, "already exists")                                               \
    XX(ESTORAGE, -15, "the file system failed (full, quota, read-only or I/O error)")

/** Error codes. Functions return them as `int`. */
enum mmarml_error_code {
/** @cond */
#define MMARML_ERRNO_ENUM_(name, value, text) MMARML_##name = value,
    MMARML_ERRNO_MAP(MMARML_ERRNO_ENUM_)
#undef MMARML_ERRNO_ENUM_
/** @endcond */
    MMARML_ERRNO_LAST_ = -16 /* never use */
};

MMARML_BEGIN_DECLS

/** @return A static description of `code`; never NULL ("unknown error" for unknown codes). */
MMARML_API const char *mmarml_strerror(int code);
/** @return The static name of `code` ("MMARML_EINVAL"); never NULL. */
MMARML_API const char *mmarml_error_name(int code);

/**
 * @return The code of the last failure on this thread, MMARML_OK if none since the last
 *         mmarml_error_clear().
 * @par Thread-safety  Any thread; the state is per thread.
 */
MMARML_API int mmarml_error_code(void);
/**
 * @return The message of the last failure on this thread, "" if none. Owned by the library,
 *         valid until the next failing call on this thread.
 * @par Thread-safety  Any thread; the state is per thread.
 */
MMARML_API const char *mmarml_error_message(void);
/** Forget the last failure on this thread. */
MMARML_API void mmarml_error_clear(void);

/**
 * Record a failure for this thread. Used by the library and by user components (vtable
 * methods) to say what went wrong; a negative code returned by a method reaches the caller
 * of the API function unchanged, with this message.
 *
 * @param code  A negative MMARML_E* code.
 * @param fmt   printf-style message.
 * @return `code`, so `return mmarml_error_set(MMARML_EINVAL, "...");` works.
 * @par Thread-safety  Any thread.
 */
MMARML_API int mmarml_error_set(int code, const char *fmt, ...) MMARML_PRINTF(2, 3);
/** va_list variant of mmarml_error_set(). */
MMARML_API int mmarml_error_setv(int code, const char *fmt, va_list ap) MMARML_PRINTF(2, 0);

MMARML_END_DECLS

#endif
