// The size limits a real cluster enforces, with the values of a default
// kube-apiserver and etcd.
#ifndef RAVEN_LAB_APISERVER_SIZE_LIMITS_H_
#define RAVEN_LAB_APISERVER_SIZE_LIMITS_H_

#include <cstddef>

namespace raven::apiserver {

// kube-apiserver's MaxRequestBodyBytes: a larger request body is 413
// RequestEntityTooLarge.
inline constexpr size_t kMaxRequestBodyBytes = 3 * 1024 * 1024;

// etcd's default --max-request-bytes: a write of a larger object fails in
// storage (kube-apiserver passes etcd's error on as a 500). Measured here on
// the object's compact JSON.
inline constexpr size_t kMaxStoredObjectBytes = 1536 * 1024;

// apimachinery's TotalAnnotationSizeLimitB: metadata.annotations (key and
// value lengths summed) may not be larger (422 Invalid).
inline constexpr size_t kMaxAnnotationsBytes = 256 * 1024;

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_SIZE_LIMITS_H_
