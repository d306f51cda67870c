#include "lab/apiserver/store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "lab/apiserver/admission.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/merge_patch.h"
#include "lab/apiserver/object_meta.h"
#include "lab/apiserver/size_limits.h"

namespace raven::apiserver {
namespace {

constexpr const char* kDefaultNamespaces[] = {"default", "kube-system", "kube-public",
                                              "kube-node-lease"};

bool IsCrd(const ResourceInfo& r) {
  return r.group == "apiextensions.k8s.io" && r.plural == "customresourcedefinitions";
}

bool IsNamespace(const ResourceInfo& r) { return r.group.empty() && r.plural == "namespaces"; }

}  // namespace

std::string ObjectKey(absl::string_view ns, absl::string_view name) {
  return absl::StrCat(ns, "/", name);
}

Store::Store(WatchHub& hub) : hub_(hub), rng_(std::random_device{}()) {
  hub_.Reset(1);
  ResourcePtr ns = Resolve("", "v1", "namespaces");
  for (const char* name : kDefaultNamespaces) {
    rapidjson::Document doc(rapidjson::kObjectType);
    SetString(EnsureMetadata(doc, doc.GetAllocator()), "name", name, doc.GetAllocator());
    (void)Create(*ns, "", std::move(doc), {});
  }
}

ResourcePtr Store::Resolve(absl::string_view group, absl::string_view version,
                           absl::string_view plural) const {
  absl::MutexLock lock(&mu_);
  return registry_.Find(group, version, plural);
}

std::vector<ResourcePtr> Store::Resources() const {
  absl::MutexLock lock(&mu_);
  return registry_.All();
}

int64_t Store::resource_version() const {
  absl::MutexLock lock(&mu_);
  return rv_;
}

absl::StatusOr<WriteResult> Store::Create(const ResourceInfo& r, const std::string& ns,
                                          rapidjson::Document body, const WriteOptions& options) {
  auto& a = body.GetAllocator();
  if (!body.IsObject()) {
    return InvalidError({r.group, r.plural, ""}, r.kind,
                        {{"FieldValueInvalid", "Invalid value: must be a JSON object", ""}});
  }
  std::string body_ns = MetaString(body, "namespace");
  if (r.namespaced && !body_ns.empty() && body_ns != ns) {
    return BadRequestError(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  WriteResult result;
  std::vector<ResourceInfo> crd_resources;
  RETURN_IF_ERROR(Admit(r, body, options, result.warnings, &crd_resources));
  if (r.drop_status_on_create) RemoveMember(body, "status");
  if (IsNamespace(r) && Member(body, "status") == nullptr) {
    rapidjson::Value status(rapidjson::kObjectType);
    SetString(status, "phase", "Active", a);
    SetMember(body, "status", std::move(status), a);
  }

  absl::MutexLock lock(&mu_);
  Bucket& bucket = objects_[r.group_resource()];
  std::string name = MetaString(body, "name");
  std::string generate = MetaString(body, "generateName");
  for (int i = 0; name.empty() && !generate.empty() && i < 16; ++i) {
    std::string candidate = absl::StrCat(generate, NameSuffix(rng_));
    if (bucket.count(ObjectKey(ns, candidate)) == 0) name = candidate;
  }
  std::vector<ErrorCause> causes = ValidateName(name, IsNamespace(r));
  if (!causes.empty()) return InvalidError({r.group, r.plural, name}, r.kind, causes);
  std::string key = ObjectKey(r.namespaced ? ns : "", name);
  if (bucket.count(key) != 0) return AlreadyExistsError({r.group, r.plural, name});

  rapidjson::Value& meta = EnsureMetadata(body, a);
  SetString(meta, "name", name, a);
  if (r.namespaced) {
    SetString(meta, "namespace", ns, a);
  } else {
    RemoveMember(meta, "namespace");
  }
  SetString(meta, "uid", NewUid(rng_), a);
  SetString(meta, "creationTimestamp", FormatTimestamp(absl::Now()), a);
  SetMember(meta, "generation", rapidjson::Value(int64_t{1}), a);
  for (const char* owned : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    RemoveMember(meta, owned);
  }
  result.created = true;
  if (options.dry_run) {
    result.object = std::make_shared<const rapidjson::Document>(std::move(body));
    return result;
  }
  ASSIGN_OR_RETURN(result.object, CommitLocked(r, key, std::move(body), "ADDED", nullptr));
  if (IsCrd(r)) registry_.SetCrd(name, crd_resources);
  return result;
}

absl::StatusOr<WriteResult> Store::Update(const ResourceInfo& r, const std::string& ns,
                                          const std::string& name, rapidjson::Document body,
                                          bool status, const WriteOptions& options) {
  if (!body.IsObject()) {
    return InvalidError({r.group, r.plural, name}, r.kind,
                        {{"FieldValueInvalid", "Invalid value: must be a JSON object", ""}});
  }
  absl::MutexLock lock(&mu_);
  return UpdateLocked(r, ns, name, std::move(body), status, /*check_rv=*/true, options);
}

absl::StatusOr<WriteResult> Store::Patch(const ResourceInfo& r, const std::string& ns,
                                         const std::string& name, PatchType type,
                                         const rapidjson::Value& patch, bool status,
                                         const WriteOptions& options) {
  if (!patch.IsObject()) return BadRequestError("a merge patch must be a JSON object");
  absl::MutexLock lock(&mu_);
  const Bucket& bucket = objects_[r.group_resource()];
  auto it = bucket.find(ObjectKey(ns, name));
  if (it == bucket.end()) return NotFoundError({r.group, r.plural, name});
  const rapidjson::Value* meta = Member(patch, "metadata");
  const rapidjson::Value* want_rv = meta == nullptr ? nullptr : Member(*meta, "resourceVersion");
  if (want_rv != nullptr && want_rv->IsString() &&
      want_rv->GetString() != MetaString(*it->second, "resourceVersion")) {
    return ConflictError({r.group, r.plural, name},
                         "the object has been modified; please apply your changes to the latest "
                         "version and try again");
  }
  rapidjson::Document next = CopyDoc(*it->second);
  SetString(next, "apiVersion", r.api_version(), next.GetAllocator());
  ApplyMergePatch(next, patch, next.GetAllocator(), type == PatchType::kStrategicMerge);
  return UpdateLocked(r, ns, name, std::move(next), status, /*check_rv=*/false, options);
}

absl::StatusOr<WriteResult> Store::UpdateLocked(const ResourceInfo& r, const std::string& ns,
                                                const std::string& name, rapidjson::Document body,
                                                bool status, bool check_rv,
                                                const WriteOptions& options) {
  ErrorTarget target{r.group, r.plural, name};
  std::string body_name = MetaString(body, "name");
  if (!body_name.empty() && body_name != name) {
    return BadRequestError(absl::StrCat("the name of the object (", body_name,
                                        ") does not match the name on the URL (", name, ")"));
  }
  std::string body_ns = MetaString(body, "namespace");
  if (r.namespaced && !body_ns.empty() && body_ns != ns) {
    return BadRequestError(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  std::string key = ObjectKey(ns, name);
  Bucket& bucket = objects_[r.group_resource()];
  auto it = bucket.find(key);
  if (it == bucket.end()) return NotFoundError(target);
  DocPtr old = it->second;
  if (check_rv) {
    std::string rv = MetaString(body, "resourceVersion");
    if (rv.empty()) {
      return InvalidError(
          target, r.kind,
          {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
            "metadata.resourceVersion"}});
    }
    if (rv != MetaString(*old, "resourceVersion")) {
      return ConflictError(target,
                           "the object has been modified; please apply your changes to the latest "
                           "version and try again");
    }
  }
  rapidjson::Document next;
  if (status) {
    next = CopyDoc(*old);
    SetString(next, "apiVersion", r.api_version(), next.GetAllocator());
  } else {
    next = std::move(body);
    KeepServerMetadata(*old, next, next.GetAllocator());
  }
  auto& a = next.GetAllocator();
  // Only the status subresource writes status (when there is one).
  const rapidjson::Value* new_status = status                 ? Member(body, "status")
                                       : r.status_subresource ? Member(*old, "status")
                                                              : nullptr;
  if (status || r.status_subresource) {
    if (new_status != nullptr) {
      SetMember(next, "status", rapidjson::Value(*new_status, a), a);
    } else {
      RemoveMember(next, "status");
    }
  }
  WriteResult result;
  std::vector<ResourceInfo> crd_resources;
  RETURN_IF_ERROR(Admit(r, next, options, result.warnings, &crd_resources));
  const rapidjson::Value* old_meta = Member(*old, "metadata");
  const rapidjson::Value* gen = old_meta ? Member(*old_meta, "generation") : nullptr;
  int64_t generation = gen != nullptr && gen->IsInt64() ? gen->GetInt64() : 1;
  if (SpecChanged(*old, next)) ++generation;
  SetMember(EnsureMetadata(next, a), "generation", rapidjson::Value(generation), a);
  SetString(EnsureMetadata(next, a), "resourceVersion", MetaString(*old, "resourceVersion"), a);
  if (SameObject(*old, next)) {
    result.object = old;
    return result;
  }
  if (options.dry_run) {
    result.object = std::make_shared<const rapidjson::Document>(std::move(next));
    return result;
  }
  if (old_meta != nullptr && Member(*old_meta, "deletionTimestamp") != nullptr &&
      !HasFinalizers(next)) {
    // The last finalizer is gone: the pending deletion completes.
    bucket[key] = std::make_shared<const rapidjson::Document>(std::move(next));
    result.object = RemoveLocked(r, key);
    CascadeLocked(r, *result.object);
    return result;
  }
  ASSIGN_OR_RETURN(result.object, CommitLocked(r, key, std::move(next), "MODIFIED", old));
  if (IsCrd(r)) registry_.SetCrd(name, crd_resources);
  return result;
}

absl::StatusOr<WriteResult> Store::Delete(const ResourceInfo& r, const std::string& ns,
                                          const std::string& name,
                                          const DeletePreconditions& preconditions) {
  absl::MutexLock lock(&mu_);
  ErrorTarget target{r.group, r.plural, name};
  std::string key = ObjectKey(ns, name);
  Bucket& bucket = objects_[r.group_resource()];
  auto it = bucket.find(key);
  if (it == bucket.end()) return NotFoundError(target);
  DocPtr old = it->second;
  std::string uid = MetaString(*old, "uid");
  std::string rv = MetaString(*old, "resourceVersion");
  if (!preconditions.uid.empty() && preconditions.uid != uid) {
    return ConflictError(target, absl::StrCat("Precondition failed: UID in precondition: ",
                                              preconditions.uid, ", UID in object meta: ", uid));
  }
  if (!preconditions.resource_version.empty() && preconditions.resource_version != rv) {
    return ConflictError(target, absl::StrCat("Precondition failed: ResourceVersion in "
                                              "precondition: ",
                                              preconditions.resource_version,
                                              ", ResourceVersion in object meta: ", rv));
  }
  WriteResult result;
  if (HasFinalizers(*old)) {
    const rapidjson::Value* meta = Member(*old, "metadata");
    if (Member(*meta, "deletionTimestamp") != nullptr) {
      result.object = old;
      return result;
    }
    rapidjson::Document next = CopyDoc(*old);
    rapidjson::Value& m = EnsureMetadata(next, next.GetAllocator());
    SetString(m, "deletionTimestamp", FormatTimestamp(absl::Now()), next.GetAllocator());
    SetMember(m, "deletionGracePeriodSeconds", rapidjson::Value(0), next.GetAllocator());
    ASSIGN_OR_RETURN(result.object, CommitLocked(r, key, std::move(next), "MODIFIED", old));
    return result;
  }
  result.object = RemoveLocked(r, key);
  CascadeLocked(r, *result.object);
  return result;
}

absl::StatusOr<std::vector<DocPtr>> Store::DeleteCollection(const ResourceInfo& r,
                                                            const std::string& ns,
                                                            const ListOptions& options) {
  ListOptions all = options;
  all.limit = 0;
  all.continue_token.clear();
  ASSIGN_OR_RETURN(ListResult list, List(r, ns, all));
  std::vector<DocPtr> deleted;
  for (const DocPtr& item : list.items) {
    absl::StatusOr<WriteResult> result =
        Delete(r, MetaString(*item, "namespace"), MetaString(*item, "name"), {});
    if (result.ok()) deleted.push_back(result->object);
  }
  return deleted;
}

absl::StatusOr<DocPtr> Store::CommitLocked(const ResourceInfo& r, const std::string& key,
                                           rapidjson::Document object, const char* type,
                                           DocPtr old) {
  SetString(EnsureMetadata(object, object.GetAllocator()), "resourceVersion", absl::StrCat(rv_ + 1),
            object.GetAllocator());
  if (JsonSize(object) > kMaxStoredObjectBytes) return StorageRequestTooLargeError();
  ++rv_;
  auto doc = std::make_shared<const rapidjson::Document>(std::move(object));
  objects_[r.group_resource()][key] = doc;
  hub_.Publish({rv_, type, r.group_resource(), MetaString(*doc, "namespace"), doc, old});
  return doc;
}

DocPtr Store::RemoveLocked(const ResourceInfo& r, const std::string& key) {
  Bucket& bucket = objects_[r.group_resource()];
  auto it = bucket.find(key);
  rapidjson::Document last = CopyDoc(*it->second);
  bucket.erase(it);
  ++rv_;
  SetString(EnsureMetadata(last, last.GetAllocator()), "resourceVersion", absl::StrCat(rv_),
            last.GetAllocator());
  auto doc = std::make_shared<const rapidjson::Document>(std::move(last));
  hub_.Publish({rv_, "DELETED", r.group_resource(), MetaString(*doc, "namespace"), doc, nullptr});
  return doc;
}

void Store::CascadeLocked(const ResourceInfo& r, const rapidjson::Value& deleted) {
  std::string name = MetaString(deleted, "name");
  if (IsCrd(r)) {
    ResourcePtr owned = nullptr;
    for (const ResourcePtr& info : registry_.All()) {
      if (info->crd_name == name) owned = info;
    }
    registry_.RemoveCrd(name);
    if (owned == nullptr) return;
    Bucket& bucket = objects_[owned->group_resource()];
    while (!bucket.empty()) RemoveLocked(*owned, bucket.begin()->first);
    return;
  }
  if (!IsNamespace(r)) return;
  for (const ResourcePtr& info : registry_.All()) {
    if (!info->namespaced) continue;
    Bucket& bucket = objects_[info->group_resource()];
    std::string prefix = ObjectKey(name, "");
    while (true) {
      auto it = bucket.lower_bound(prefix);
      if (it == bucket.end() || !absl::StartsWith(it->first, prefix)) break;
      RemoveLocked(*info, it->first);
    }
  }
}

}  // namespace raven::apiserver
