#include "common/kube/resources/lease.h"

#include "absl/strings/str_cat.h"
#include "common/kube/resources/json_doc.h"
#include "common/kube/resources/k8s_time.h"
#include "common/status_macros.h"

namespace raven::kube {

absl::StatusOr<Lease> DecodeLease(const rapidjson::Value& object) {
  if (!object.IsObject()) return absl::InvalidArgumentError("Lease: expected an object");
  json::FieldReader in(object, "");
  RETURN_IF_ERROR(CheckTypeMeta(in, "coordination.k8s.io/v1", "Lease"));
  Lease lease;
  RETURN_IF_ERROR(DecodeObjectMeta(in, lease.meta));
  RETURN_IF_ERROR(in.Object("spec", [&](const json::FieldReader& spec) -> absl::Status {
    RETURN_IF_ERROR(spec.String("holderIdentity", lease.holder_identity));
    RETURN_IF_ERROR(spec.Int("leaseDurationSeconds", lease.lease_duration_seconds));
    RETURN_IF_ERROR(ReadTime(spec, "acquireTime", lease.acquire_time, /*micro=*/true));
    RETURN_IF_ERROR(ReadTime(spec, "renewTime", lease.renew_time, /*micro=*/true));
    return spec.Int("leaseTransitions", lease.lease_transitions);
  }));
  if (lease.lease_duration_seconds < 0) {
    return absl::InvalidArgumentError("spec.leaseDurationSeconds: negative");
  }
  if (lease.lease_transitions < 0) {
    return absl::InvalidArgumentError("spec.leaseTransitions: negative");
  }
  return lease;
}

absl::StatusOr<Lease> DecodeLeaseJson(absl::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json));
  return DecodeLease(doc);
}

std::string EncodeLeaseJson(const Lease& lease) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonAlloc& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "coordination.k8s.io/v1", a);
  doc.AddMember("kind", "Lease", a);
  EncodeObjectMeta(lease.meta, doc, a);
  rapidjson::Value spec(rapidjson::kObjectType);
  PutString(spec, "holderIdentity", lease.holder_identity, a);
  if (lease.lease_duration_seconds > 0) {
    spec.AddMember("leaseDurationSeconds", lease.lease_duration_seconds, a);
  }
  PutTime(spec, "acquireTime", lease.acquire_time, /*micro=*/true, a);
  PutTime(spec, "renewTime", lease.renew_time, /*micro=*/true, a);
  spec.AddMember("leaseTransitions", lease.lease_transitions, a);
  doc.AddMember("spec", spec, a);
  return ToJson(doc);
}

}  // namespace raven::kube
