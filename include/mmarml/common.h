/**
 * @file mmarml/common.h
 * @brief Export, declaration and attribute macros shared by every libmmarml header.
 */
#ifndef MMARML_COMMON_H
#define MMARML_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(MMARML_BUILDING) && defined(MMARML_STATIC)
#    error "MMARML_BUILDING and MMARML_STATIC cannot both be defined"
#  elif defined(MMARML_BUILDING)
#    define MMARML_API __declspec(dllexport)
#  elif defined(MMARML_STATIC)
#    define MMARML_API
#  else
#    define MMARML_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define MMARML_API __attribute__((visibility("default")))
#else
#  define MMARML_API
#endif

/** @def MMARML_API
 *  Marks a function exported from libmmarml (everything else is hidden). */
/** @def MMARML_BEGIN_DECLS
 *  Opens the headers' declarations (`extern "C" {` in C++). */
/** @def MMARML_END_DECLS
 *  Closes what MMARML_BEGIN_DECLS opened. */
#ifdef __cplusplus
#  define MMARML_BEGIN_DECLS extern "C" {
#  define MMARML_END_DECLS }
#else
#  define MMARML_BEGIN_DECLS
#  define MMARML_END_DECLS
#endif

/** @def MMARML_PRINTF
 *  Lets the compiler check a printf-style format (argument `fmt`) against its arguments
 *  (from argument `args`). */
/** @def MMARML_NODISCARD
 *  Warns when a caller ignores the result. */
/** @def MMARML_DEPRECATED
 *  Warns when a caller uses the declaration, with `msg`. */
#if defined(__GNUC__)
#  define MMARML_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#  define MMARML_NODISCARD __attribute__((warn_unused_result))
#  define MMARML_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define MMARML_PRINTF(fmt, args)
#  define MMARML_NODISCARD
#  define MMARML_DEPRECATED(msg)
#endif

/** Declares a function-pointer member of a vtable. */
#define MMARML_CALLBACK(name) (*name)

MMARML_BEGIN_DECLS

/**
 * Release memory that libmmarml handed to the caller (strings from `char **out`).
 *
 * @param p  Memory returned by libmmarml, or NULL (no-op).
 * @since 0.1
 * @par Thread-safety  Any thread.
 */
MMARML_API void mmarml_free(void *p);

MMARML_END_DECLS

#endif
