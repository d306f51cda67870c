// OpenSSL objects built from PEM held in memory (kubeconfig data fields),
// owned by unique_ptrs.
#ifndef RAVEN_COMMON_KUBE_TLS_H_
#define RAVEN_COMMON_KUBE_TLS_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::kube {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;

// A store holding every certificate of a PEM bundle; at least one is required.
absl::StatusOr<X509StorePtr> X509StoreFromPem(absl::string_view pem);
// The first certificate of a PEM bundle.
absl::StatusOr<X509Ptr> CertificateFromPem(absl::string_view pem);
// A private key (PKCS#8, RSA or EC PEM).
absl::StatusOr<EvpPkeyPtr> PrivateKeyFromPem(absl::string_view pem);
// FailedPrecondition when the key is not the certificate's.
absl::Status CheckKeyMatchesCertificate(X509* cert, EVP_PKEY* key);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_TLS_H_
