/* mithril/export.h - symbol visibility and function attributes. */
#ifndef MITHRIL_EXPORT_H
#define MITHRIL_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define MTL_API __attribute__((visibility("default")))
#define MTL_NODISCARD __attribute__((warn_unused_result))
#define MTL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MTL_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#else
#define MTL_API
#define MTL_NODISCARD
#define MTL_PRINTF(a, b)
#define MTL_NONNULL(...)
#endif

#endif
