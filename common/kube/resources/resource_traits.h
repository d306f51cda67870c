// What the generic clients (ResourceClient<T>, Informer<T>) need to know of a
// kind: where it lives, how to (de)code it, and its identity. Each kind's
// header specializes ResourceTraits<T>:
//
//   static constexpr const char* kGroupVersionPath;  // "/api/v1", "/apis/g/v"
//   static constexpr const char* kPlural;            // "nodes"
//   static constexpr const char* kKind;              // "Node"
//   static constexpr bool kNamespaced;
//   // True when the codec models every field: only then may a decoded object
//   // be PUT back (Update) without dropping what others wrote.
//   static constexpr bool kFullyModeled;
//   static absl::StatusOr<T> Decode(const rapidjson::Value& object);
//   static std::string Encode(const T& object);
//   static std::string Name(const T&);
//   static std::string Namespace(const T&);   // "" when cluster-scoped
//   static std::string ResourceVersion(const T&);
//   static void SetResourceVersion(T&, std::string);
#ifndef RAVEN_COMMON_KUBE_RESOURCES_RESOURCE_TRAITS_H_
#define RAVEN_COMMON_KUBE_RESOURCES_RESOURCE_TRAITS_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace raven::kube {

template <typename T>
struct ResourceTraits;

// The informer's cache key: "namespace/name", or "name" when cluster-scoped.
inline std::string ObjectKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : absl::StrCat(ns, "/", name);
}

template <typename T>
std::string KeyOf(const T& object) {
  return ObjectKey(ResourceTraits<T>::Namespace(object), ResourceTraits<T>::Name(object));
}

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_RESOURCE_TRAITS_H_
