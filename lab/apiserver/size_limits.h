// The size limits a real cluster enforces, with the values of a default
// kube-apiserver and etcd.
#ifndef RAVEN_LAB_APISERVER_SIZE_LIMITS_H_
#define RAVEN_LAB_APISERVER_SIZE_LIMITS_H_

#include <cstddef>

namespace raven::apiserver {

// kube-apiserver's MaxRequestBodyBytes: a larger request body is 413
// RequestEntityTooLarge.
inline constexpr size_t kMaxRequestBodyBytes = 3 * 1024 * 1024;

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_SIZE_LIMITS_H_
